#include "cli/explain_output.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "cli/cli_time.hpp"
#include "cli/console.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "runtime/explain/explain_run.hpp"

namespace memgate::cli {

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

ExplainRun explain_scenario(const Scenario& scenario, const ExplainRunOptions& options,
                            ProgressPrinter& progress) {
  ExplainSettings settings;
  settings.out_dir = options.out_dir;
  settings.caller_depth = options.caller_depth;
  settings.path_env = env_or_empty("PATH");
  settings.inherited_ld_preload = env_or_empty("LD_PRELOAD");
  settings.inherited_pythonpath = env_or_empty("PYTHONPATH");
  if (!options.quiet) {
    settings.progress = [&progress, name = scenario.name](const ProgressEvent& event) {
      progress(name, event);
    };
  }
  ExplainOutcome outcome = run_explain(scenario, settings);
  ExplainRun run;
  ExplainResult& result = run.result;
  result.profile = std::move(outcome.profile);
  result.profile.memgate_version = MEMGATE_VERSION;
  result.profile.created_at = utc_now_iso8601();
  if (outcome.report) {
    outcome.report->created_at = result.profile.created_at;
    result.report_dir = options.out_dir;
    run.run_valid = outcome.report->all_valid();
    if (!run.run_valid && !options.quiet) print_invalid_runs(*outcome.report);
    run.report = std::move(outcome.report);
  }
  if (!outcome.data_file.empty() && !options.quiet) {
    print(stderr, "  heaptrack data {} (heaptrack_gui or heaptrack_print open it)\n",
          outcome.data_file);
  }
  return run;
}

std::string write_explain_outputs(const ExplainRun& run, const std::string& dir) {
  if (const std::error_code ec = make_folders(dir)) {
    throw RunError(fmt::format("cannot create {}: {}", dir, ec.message()),
                   "choose another folder with --out");
  }
  if (run.report) write_reports(*run.report, nullptr, nullptr, dir, nullptr, &run.result);
  write_file_atomic(dir + "/explain.json", explain_json(run.result).dump(2) + "\n");
  write_file_atomic(dir + "/explain.md", explain_markdown(run.result));
  write_file_atomic(dir + "/explain.html", explain_html(run.result));
  return dir + "/explain.html";
}

ExitCode explain_exit_code(const ExplainRun& run) {
  const HeapProfile& p = run.result.profile;
  if (p.tool == "none" || !run.run_valid) return ExitCode::run_failed;
  if (p.sites.empty() && !p.notes.empty()) return ExitCode::run_failed;
  return ExitCode::ok;
}

}  // namespace memgate::cli
