// memgate baseline SCENARIO... [--repeat N] [--baselines DIR] [--sweep K=V1,V2...]
// [--shard I/N] [--append] [--sittings K [--gap-s S]]: create or refresh baselines (sharded:
// those of the I-th of N parts; each writes only its own files).
// A sitting is one round of runs of every scenario given. --append adds the sittings to the
// existing baselines (same scenario hash, same machine class: else exit 2 before any run);
// --sittings K makes K sittings, S seconds apart, the scenarios interleaved; the baselines are
// written after each sitting.
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
#include "runtime/env/environment.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/sut_version.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

namespace {

// A baseline needs enough repetitions to know the noise.
constexpr int kMinBaselineRepeat = 5;
// Between sittings: long enough for the host's timing to drift as it does between checks.
constexpr double kDefaultGapS = 600;

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
  bool append = false;
  int sittings = 1;
  double gap_s = kDefaultGapS;
};

// Why the runs' timing figures are doubtful as a baseline: others took more of the CPU than the
// gate allows a check while they ran.
std::optional<std::string> busy_for_timing(const Scenario& scenario, const Report& report) {
  const auto contention = report.summary.contention_pct;
  if (!gates_timing(scenario.gate) || !contention ||
      *contention <= scenario.gate.max_contention_pct) {
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

// The baselines that --append adds to, read and checked before anything runs: a baseline of
// another scenario hash or machine class cannot take more sittings (exit 2).
std::vector<std::optional<Baseline>> baselines_to_extend(const BaselineOptions& o,
                                                         const std::vector<Scenario>& scenarios,
                                                         const ShardSelection& selection) {
  std::vector<std::optional<Baseline>> out(scenarios.size());
  if (!o.append) return out;
  const std::string fingerprint = machine_fingerprint(read_environment());
  for (const std::size_t i : selection.indices) {
    const std::string path = baseline_path(o.baselines, scenarios[i].name);
    if (!std::filesystem::exists(path)) continue;  // the first sitting makes it
    Baseline b = read_baseline_file(path);
    const char* fresh = "make a new baseline: the same command without --append";
    if (b.scenario_hash != scenario_hash(scenarios[i])) {
      throw InputError(path, "/scenario_hash",
                       "the scenario changed since this baseline: sittings of another scenario "
                       "cannot be pooled",
                       fresh);
    }
    if (b.fingerprint != fingerprint) {
      throw InputError(path, "/fingerprint",
                       fmt::format("made on another machine class ({}): sittings of one machine "
                                   "class only",
                                   cpu_model_of(b.environment)),
                       fresh);
    }
    out[i] = std::move(b);
  }
  return out;
}

// One line per timing metric of the gate, when the baseline has several sittings: each
// sitting's median and speed index, so that the drift between sittings is visible.
void print_sittings(const Baseline& b, const GateSpec& gate) {
  if (b.sittings.size() < 2) return;
  std::vector<std::string> speeds, contention;
  for (const Sitting& s : b.sittings) {
    speeds.push_back(s.speed_ms ? fmt::format("{:.1f}", *s.speed_ms) : "?");
    contention.push_back(s.contention_pct ? fmt::format("{:.0f}%", *s.contention_pct) : "?");
  }
  cli::print("  sittings: {}; speed index (reference workload, ms): {}; others' CPU share: {}\n",
             b.sittings.size(), fmt::join(speeds, " · "), fmt::join(contention, " · "));
  for (const GateRule& rule : gate.rules) {
    if (split_service_metric(rule.metric) || !is_speed_dependent_metric(rule.metric)) continue;
    const auto medians = sitting_medians(b, rule.metric);
    if (medians.size() < 2) continue;
    std::vector<std::string> shown;
    for (const double m : medians) shown.push_back(format_metric(rule.metric, m));
    const auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
    cli::print("  {} per sitting: {} (range {:.1f}% of the lowest)\n", rule.metric,
               fmt::join(shown, " · "), *lo != 0 ? (*hi - *lo) / std::fabs(*lo) * 100 : 0.0);
  }
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
  std::vector<std::optional<Baseline>> kept = baselines_to_extend(o, scenarios, selection);
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
  std::vector<bool> failed(scenarios.size(), false);  // a sitting failed: no more of them
  for (int sitting = 1; sitting <= o.sittings && !interrupt::requested(); ++sitting) {
    if (sitting > 1) {
      print(stderr, "sitting {} of {} in {:g} s\n", sitting, o.sittings, o.gap_s);
      if (!interrupt::sleep_for(o.gap_s * 1000)) break;
    }
    for (const std::size_t i : selection.indices) {
      if (failed[i]) continue;
      const Scenario& scenario = scenarios[i];
      const std::string path = baseline_path(o.baselines, scenario.name);
      const bool extend = kept[i].has_value() && (o.append || sitting > 1);
      std::optional<Baseline> before = kept[i];
      if (!before && std::filesystem::exists(path)) {
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
      if (!try_write_reports(report, nullptr, nullptr, dir)) {
        exit = worst(exit, ExitCode::run_failed);
      }
      if (!report.all_valid() || interrupt::requested()) {
        print_invalid_runs(report);
        print("{}: baseline NOT written ({} left as it was)\n", scenario.name, path);
        exit = worst(exit, ExitCode::run_failed);
        failed[i] = true;
        if (interrupt::requested()) break;
        continue;
      }
      const Baseline made = make_baseline(report, read_sut_version(scenario.sut));
      const Baseline baseline = extend ? append_sitting(*kept[i], made) : made;
      write_baseline_file(path, baseline);
      kept[i] = baseline;
      print("{}: wrote {} ({}{} repetitions{})\n", scenario.name, path,
            extend || o.sittings > 1 ? fmt::format("{} sitting{}, ", baseline.sittings.size(),
                                                   baseline.sittings.size() == 1 ? "" : "s")
                                     : std::string(),
            baseline.repetitions,
            baseline.sut_version.empty() ? "" : ", SUT " + baseline.sut_version);
      if (gates_timing(scenario.gate) &&
          baseline.repetitions < static_cast<int>(kRankTestMinRuns)) {
        print(
            "  note: {} repetitions: a timing rule consults the rank test only against {} or "
            "more, so its checks rest on the threshold alone (drop --repeat, or give {} or "
            "more)\n",
            baseline.repetitions, kRankTestMinRuns, kRankTestMinRuns);
      }
      if (const auto busy = busy_for_timing(scenario, report)) print("  warning: {}\n", *busy);
      print_sittings(baseline, scenario.gate);
      if (gates_timing(scenario.gate) && baseline.sittings.size() == 1 && sitting == o.sittings) {
        print(
            "  note: one sitting: its timing rules are provisional (a regression needs "
            "{:g}x) until sittings are added: `memgate baseline --append` later\n",
            scenario.gate.single_sitting_hard_factor);
      }
      if (before) {
        for (const auto& line : describe_changes(*before, baseline)) print("  {}\n", line);
      } else {
        print("  a new baseline\n");
      }
      if (o.profile && sitting == o.sittings) {
        exit = worst(exit, write_profile(o, scenario, dir, progress));
      }
      if (interrupt::requested()) break;
    }
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
  cmd->add_flag("--append", o->append,
                "Add the runs as a new sitting to the existing baselines (same scenario, same "
                "machine class): timing rules learn the drift between sittings");
  cmd->add_option("--sittings", o->sittings,
                  fmt::format("Sittings to make, --gap-s apart, the scenarios interleaved "
                              "(default 1; at most {})",
                              kMaxSittings))
      ->check(CLI::Range(1, static_cast<int>(kMaxSittings)));
  cmd->add_option("--gap-s", o->gap_s,
                  fmt::format("Seconds between sittings (default {:g})", kDefaultGapS))
      ->check(CLI::Range(0.0, 86400.0));
  cmd->callback([&selected, o] { selected = [o] { return run_baseline(*o); }; });
}

}  // namespace memgate::cli
