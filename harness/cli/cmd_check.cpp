// memgate check SCENARIO... [--repeat N] [--baselines DIR] [--out DIR]: run, gate against the
// baselines, print the verdict, write the reports; exit 0 pass, 1 regressed, 3 invalid run,
// 4 no verdict.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "cli/verdict_output.hpp"
#include "core/baseline/baseline.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/gated_run.hpp"

namespace memgate::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  int repeat = 0;
  std::string baselines = "baselines";
  std::string out;
  bool allow_remote = false;
  bool quiet = false;
};

ExitCode run_check(const CheckOptions& o) {
  const std::vector<Scenario> scenarios = load_scenarios(o.files, {}, o.allow_remote);
  // Every baseline is read before anything runs: a damaged one is exit 2 in milliseconds.
  std::vector<std::optional<Baseline>> baselines;
  for (const Scenario& s : scenarios) {
    const std::string path = baseline_path(o.baselines, s.name);
    baselines.push_back(std::filesystem::exists(path) ? std::optional(read_baseline_file(path))
                                                      : std::nullopt);
  }
  ExitCode exit = ExitCode::ok;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& scenario = scenarios[i];
    const std::string dir = report_dir(o.out, scenarios.size(), scenario.name);
    RunSettings settings;
    settings.out_dir = dir;
    settings.repeat = o.repeat > 0 ? o.repeat : scenario.repeat;
    if (!o.quiet) {
      settings.progress = [&](const ProgressEvent& e) { print_progress(scenario.name, e); };
    }
    GatedRun gated = run_and_gate(scenario, baselines[i] ? &*baselines[i] : nullptr, settings);
    gated.report.created_at = utc_now_iso8601();
    const std::string path = write_report_json(gated.report, dir);
    print_summary(gated.report);
    fmt::print(stderr, "  report {}\n", path);
    if (!gated.verdict) {
      print_invalid_runs(gated.report);
      fmt::print("{}: NO VERDICT: a run was not valid (see above)\n", scenario.name);
      exit = worst(exit, ExitCode::run_failed);
    } else {
      print_verdict(scenario.name, *gated.verdict, o.files[i], o.baselines);
      exit = worst(exit, exit_code_for(*gated.verdict));
    }
    if (interrupt::requested()) break;
  }
  return exit;
}

}  // namespace

void add_check_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Run scenarios and gate them against their baselines");
  cmd->add_option("scenarios", o->files, "Scenario files (JSON)")->required();
  cmd->add_option("--repeat", o->repeat, "Repetitions (default: the scenario's repeat)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--baselines", o->baselines, "Folder of the baselines (default baselines)");
  cmd->add_option("--out", o->out, "Report folder (default reports/<scenario>)");
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress lines");
  cmd->callback([&selected, o] { selected = [o] { return run_check(*o); }; });
}

}  // namespace memgate::cli
