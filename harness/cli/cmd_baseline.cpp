// memgate baseline SCENARIO... [--repeat N] [--baselines DIR] [--sweep K=V1,V2...]
// [--shard I/N]: create or refresh baselines (sharded: those of the I-th of N parts; each
// writes only its own files).
// A failed or invalid run never replaces a good baseline; the file is written atomically.
// --profile: then one more run under heaptrack or tracemalloc (as `memgate explain`), kept as
// baselines/<scenario>.profile.json for `memgate explain --against`.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/explain_output.hpp"
#include "cli/output_folders.hpp"
#include "cli/report_output.hpp"
#include "cli/shard_run.hpp"
#include "cli/verdict_output.hpp"
#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/sut_version.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

namespace {

// A baseline needs enough repetitions to know the noise.
constexpr int kMinBaselineRepeat = 5;

struct BaselineOptions {
  std::vector<std::string> files;  // none: the project's
  int repeat = 0;
  std::string baselines;  // "": the project's, or baselines
  std::string project;
  std::string reports_root;  // the workspace's
  bool allow_remote = false;
  bool quiet = false;
  std::string shard;
  std::string sweep;
  bool profile = false;
};

// The scenario's gate has a rule or budget on a timing metric (throughput, latency, CPU).
bool gates_timing(const Scenario& scenario) {
  const auto timing = [](const std::string& m) {
    return is_wall_clock_metric(m) || is_speed_dependent_metric(m);
  };
  return std::any_of(scenario.gate.rules.begin(), scenario.gate.rules.end(),
                     [&](const GateRule& r) { return timing(r.metric); }) ||
         std::any_of(scenario.gate.budgets.begin(), scenario.gate.budgets.end(),
                     [&](const GateBudget& b) { return timing(b.metric); });
}

// Why the runs' timing figures are doubtful as a baseline: others took more of the CPU than the
// gate allows a check while they ran.
std::optional<std::string> busy_for_timing(const Scenario& scenario, const Report& report) {
  const auto contention = report.summary.contention_pct;
  if (!gates_timing(scenario) || !contention || *contention <= scenario.gate.max_contention_pct) {
    return std::nullopt;
  }
  return fmt::format(
      "other processes took {:.1f}% of the CPU in the load phase, more than "
      "gate.max_contention_pct ({:g}%): its timing figures may be slower than this machine's; "
      "remake it on a quiet machine",
      *contention, scenario.gate.max_contention_pct);
}

int baseline_repeat(const BaselineOptions& o, const Scenario& scenario) {
  return o.repeat > 0 ? o.repeat : std::max(scenario.repeat, kMinBaselineRepeat);
}

// The allocation profile kept beside the baseline (written atomically, like it), from one run
// under heaptrack or tracemalloc; its explain files go to DIR/explain.
ExitCode write_profile(const BaselineOptions& o, const Scenario& scenario, const std::string& dir,
                       ProgressPrinter& progress) {
  const std::string path = profile_path(o.baselines, scenario.name);
  const auto not_written = [&] {
    print("{}: profile NOT written ({} {})\n", scenario.name, path,
          std::filesystem::exists(path) ? "is an older baseline's: refresh it" : "absent");
  };
  std::optional<ExplainRun> explained;
  try {
    explained = explain_scenario(scenario, {dir + "/explain", o.quiet}, progress);
  } catch (const RunError& e) {  // heaptrack missing, say: the other scenarios still run
    print(stderr, "error: {}: {}\n", scenario.name, e.what());
    if (!e.hint().empty()) print(stderr, "  hint: {}\n", e.hint());
    not_written();
    return ExitCode::run_failed;
  }
  const ExplainRun& run = *explained;
  const ExplainResult& result = run.result;
  write_explain_outputs(run, dir + "/explain");
  const ExitCode code = explain_exit_code(run);
  if (code != ExitCode::ok) {
    for (const auto& note : result.profile.notes) print("  note: {}\n", note);
    not_written();
    return code;
  }
  write_file_atomic(path, profile_to_json(result.profile).dump(2) + "\n");
  print("{}: wrote {} ({}, {} sites)\n", scenario.name, path, result.profile.tool,
        result.profile.sites.size());
  return ExitCode::ok;
}

ExitCode run_baseline(BaselineOptions o) {
  const Workspace workspace = open_workspace(o.project);
  o.files = workspace.scenario_files(o.files);
  if (o.baselines.empty()) o.baselines = workspace.baselines();
  o.reports_root = workspace.reports_root();
  const std::vector<Scenario> scenarios =
      load_scenarios(o.files, {}, o.allow_remote, o.sweep, workspace);
  for (const auto& s : scenarios) check_planned_samples(s, baseline_repeat(o, s));
  const ShardSelection selection = select_shard(
      scenarios, o.files, o.shard, [&](const Scenario& s) { return baseline_repeat(o, s); },
      o.quiet);
  // Every output is ready before the first run: the baselines folder and each report folder
  // created and probed, the report folders locked.
  probe_writable_folder(o.baselines, "the baselines folder", "choose another with --baselines");
  FolderLocks locks;
  std::vector<std::string> dirs(scenarios.size());
  for (const std::size_t i : selection.indices) {
    dirs[i] = report_dir("", 1, scenarios[i].name, o.reports_root);
    locks.lock(dirs[i]);
    if (o.profile) {  // the explain run's folder, as `memgate explain` locks it
      probe_writable_folder(dirs[i] + "/explain", "the explain folder",
                            "choose another folder with --out");
      locks.lock(dirs[i] + "/explain");
    }
  }
  ExitCode exit = ExitCode::ok;
  ProgressPrinter progress(stderr_is_terminal());
  for (const std::size_t i : selection.indices) {
    const Scenario& scenario = scenarios[i];
    const std::string path = baseline_path(o.baselines, scenario.name);
    std::optional<Baseline> before;
    if (std::filesystem::exists(path)) {
      try {
        before = read_baseline_file(path);
      } catch (const InputError& e) {
        print(stderr,
              "note: the current baseline is unreadable and will be replaced if "
              "the runs are valid: {}\n",
              e.what());
      }
    }
    const std::string& dir = dirs[i];
    const RunSettings settings =
        run_settings(dir, baseline_repeat(o, scenario), o.quiet, progress, scenario.name);
    Report report = run_scenario(scenario, settings);
    report.created_at = utc_now_iso8601();
    if (!o.quiet) print_summary(report);
    if (!try_write_reports(report, nullptr, nullptr, dir)) exit = worst(exit, ExitCode::run_failed);
    if (!report.all_valid() || interrupt::requested()) {
      print_invalid_runs(report);
      print("{}: baseline NOT written ({} left as it was)\n", scenario.name, path);
      exit = worst(exit, ExitCode::run_failed);
      if (interrupt::requested()) break;
      continue;
    }
    const Baseline baseline = make_baseline(report, read_sut_version(scenario.sut));
    write_baseline_file(path, baseline);
    print("{}: wrote {} ({} repetitions{})\n", scenario.name, path, baseline.repetitions,
          baseline.sut_version.empty() ? "" : ", SUT " + baseline.sut_version);
    const bool timing_rules =
        std::any_of(scenario.gate.rules.begin(), scenario.gate.rules.end(), [](const GateRule& r) {
          return is_wall_clock_metric(r.metric) || is_speed_dependent_metric(r.metric);
        });
    if (timing_rules && baseline.repetitions < static_cast<int>(kRankTestMinRuns)) {
      print(
          "  note: {} repetitions: a timing rule consults the rank test only against {} or more, "
          "so its checks rest on the threshold alone (drop --repeat, or give {} or more)\n",
          baseline.repetitions, kRankTestMinRuns, kRankTestMinRuns);
    }
    if (const auto busy = busy_for_timing(scenario, report)) print("  warning: {}\n", *busy);
    if (before) {
      for (const auto& line : describe_changes(*before, baseline)) print("  {}\n", line);
    } else {
      print("  a new baseline\n");
    }
    if (o.profile) exit = worst(exit, write_profile(o, scenario, dir, progress));
    if (interrupt::requested()) break;
  }
  return exit;
}

}  // namespace

void add_baseline_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<BaselineOptions>();
  CLI::App* cmd = app.add_subcommand("baseline", "Create or refresh the baselines of scenarios");
  cmd->add_option("scenarios", o->files, "Scenario files (JSON; default: the project's)");
  cmd->add_option("--repeat", o->repeat,
                  fmt::format("Repetitions (default: the scenario's repeat, at least {})",
                              kMinBaselineRepeat))
      ->check(CLI::Range(1, 100));
  cmd->add_option("--baselines", o->baselines,
                  "Folder of the baselines (default: the project's, or baselines)");
  add_project_option(cmd, o->project);
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress or summary on stderr");
  add_shard_option(cmd, o->shard);
  add_sweep_option(cmd, o->sweep);
  cmd->add_flag("--profile", o->profile,
                "Also keep an allocation profile (one run under heaptrack or tracemalloc) as "
                "<baselines>/<scenario>.profile.json, for `memgate explain --against`");
  cmd->callback([&selected, o] { selected = [o] { return run_baseline(*o); }; });
}

}  // namespace memgate::cli
