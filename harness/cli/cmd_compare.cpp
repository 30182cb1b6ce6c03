// memgate compare REPORT.json BASELINE.json: gate an existing report, running nothing.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/verdict_output.hpp"
#include "core/baseline/baseline.hpp"
#include "core/model/errors.hpp"
#include "core/report/report_reader.hpp"
#include "runtime/run/gated_run.hpp"

namespace memgate::cli {

namespace {

struct CompareOptions {
  std::string report;
  std::string baseline;
  bool json = false;
};

ExitCode run_compare(const CompareOptions& o) {
  const ReportForGate input = read_report_file(o.report);
  const Baseline baseline = read_baseline_file(o.baseline);
  if (input.report.scenario != baseline.scenario) {
    throw InputError(o.baseline, "/scenario",
                     fmt::format("the baseline is of scenario '{}', the report of '{}'",
                                 baseline.scenario, input.report.scenario));
  }
  if (!input.report.all_valid()) {
    print("{}: NO VERDICT: the report has runs that are not valid\n", input.report.scenario);
    return ExitCode::run_failed;
  }
  const Verdict verdict = gate_report(input.report, input.gate, &baseline);
  if (o.json) {
    print("{}\n", verdict_to_json(verdict).dump(1));
  } else {
    print_verdict(input.report.scenario, verdict, "SCENARIO.json",
                  std::filesystem::path(o.baseline).parent_path().string());
  }
  return exit_code_for(verdict);
}

}  // namespace

void add_compare_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand("compare", "Gate an existing report against a baseline");
  cmd->add_option("report", o->report, "report.json written by run or check")->required();
  cmd->add_option("baseline", o->baseline, "The baseline file")->required();
  cmd->add_flag("--json", o->json, "The verdict as JSON on stdout (instead of the table)");
  cmd->callback([&selected, o] { selected = [o] { return run_compare(*o); }; });
}

}  // namespace memgate::cli
