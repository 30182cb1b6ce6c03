// memgate run SCENARIO... [--repeat N] [--out DIR] [--set KEY=VALUE]... [--sweep KEY=V1,V2...]
// [--shard I/N]: runs scenarios and writes their reports; no verdict. Sharded, as check:
// ROOT/<name> and the manifest.

#include <fmt/format.h>

#include <memory>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/output_folders.hpp"
#include "cli/report_output.hpp"
#include "cli/shard_run.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/drivers/driver_factory.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

namespace {

struct RunCliOptions {
  std::vector<std::string> files;  // none: the project's
  int repeat = 0;  // 0: the scenario's own
  std::string out;
  std::string project;
  std::string reports_root;  // the workspace's
  std::vector<std::string> sets;
  std::string sweep;
  bool allow_remote = false;
  bool quiet = false;
  std::string shard;
};

// The scenarios of this shard (all, unsharded), each recorded in the shard's manifest.
ExitCode run_selected(const RunCliOptions& o, const std::vector<Scenario>& scenarios,
                      const ShardSelection& selection, ShardRecorder& recorder) {
  // Every report folder is ready before the first run: created, probed and locked.
  FolderLocks locks;
  std::vector<std::string> dirs(scenarios.size());
  for (const std::size_t i : selection.indices) {
    dirs[i] =
        scenario_report_dir(selection, o.out, o.reports_root, scenarios.size(), scenarios[i].name);
    locks.lock(dirs[i]);
  }
  bool all_valid = true;
  ProgressPrinter progress(stderr_is_terminal());
  for (const std::size_t i : selection.indices) {
    const Scenario& scenario = scenarios[i];
    const std::string& dir = dirs[i];
    const RunSettings settings = run_settings(dir, o.repeat > 0 ? o.repeat : scenario.repeat,
                                              o.quiet, progress, scenario.name);
    Report report = run_scenario(scenario, settings);
    report.created_at = utc_now_iso8601();
    // The figures reach the console whether or not the files can be written.
    if (!o.quiet) print_summary(report);
    const auto html = try_write_reports(report, nullptr, nullptr, dir);
    if (html && !o.quiet) print(stderr, "  report {}\n", *html);
    if (!report.all_valid()) print_invalid_runs(report);
    all_valid = all_valid && html && report.all_valid();
    if (html) recorder.finished(scenario.name, dir, report.created_at);
    if (interrupt::requested()) break;
  }
  return all_valid ? ExitCode::ok : ExitCode::run_failed;
}

ExitCode run_run(RunCliOptions o) {
  const Workspace workspace = open_workspace(o.project);
  o.files = workspace.scenario_files(o.files);
  o.reports_root = workspace.reports_root();
  const std::vector<Scenario> scenarios =
      load_scenarios(o.files, o.sets, o.allow_remote, o.sweep, workspace);
  for (const auto& s : scenarios) check_planned_samples(s, o.repeat > 0 ? o.repeat : s.repeat);
  const ShardSelection selection = select_shard(
      scenarios, o.files, o.shard,
      [&](const Scenario& s) { return o.repeat > 0 ? o.repeat : s.repeat; }, o.quiet);
  ShardRecorder recorder(selection, shard_root(o.out, o.reports_root), "run");
  return recorder.run([&] { return run_selected(o, scenarios, selection, recorder); });
}

}  // namespace

std::vector<Scenario> load_scenarios(const std::vector<std::string>& files,
                                     const std::vector<std::string>& sets, bool allow_remote,
                                     const std::string& sweep, const Workspace& workspace) {
  LoadOptions load = workspace.load_options(allow_remote);
  for (const auto& set : sets) load.overrides.push_back(parse_override(set));
  if (!sweep.empty()) load.overrides.push_back(parse_sweep_option(sweep));
  std::vector<Scenario> scenarios;
  for (const auto& file : files) {
    scenarios.push_back(load_scenario_file(file, load));
    // A bad texts file or an unset {env:NAME} is exit 2 before anything runs.
    check_run_inputs(scenarios.back());
  }
  return scenarios;
}

void add_sweep_option(CLI::App* command, std::string& sweep) {
  command->add_option("--sweep", sweep,
                      "Run at each value of a numeric key, for memory per unit of work: "
                      "--sweep phases.load_ops=1000,2000,4000");
}

void add_run_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<RunCliOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run scenarios and write their reports (no verdict)");
  cmd->add_option("scenarios", o->files, "Scenario files (JSON; default: the project's)");
  cmd->add_option("--repeat", o->repeat, "Repetitions, each with a fresh SUT (default: the "
                                         "scenario's repeat)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--out", o->out,
                  "Report folder (default: REPORTS/<scenario>, REPORTS the project's reports "
                  "folder or reports)");
  add_project_option(cmd, o->project);
  cmd->add_option("--set", o->sets, "Override a scenario key: --set driver.pipeline=64");
  add_sweep_option(cmd, o->sweep);
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress or summary on stderr");
  add_shard_option(cmd, o->shard);
  cmd->callback([&selected, o] { selected = [o] { return run_run(*o); }; });
}

}  // namespace memgate::cli
