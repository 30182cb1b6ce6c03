// memgate check SCENARIO... [--repeat N] [--baselines DIR] [--out DIR] [--sweep K=V1,V2...]
// [--shard I/N]: run, gate against the baselines, print the verdict, write the reports, append
// to the history; exit 0 pass, 1 regressed, 3 invalid run, 4 no verdict. Sharded, every report
// folder is ROOT/<name> (ROOT: --out or reports), beside the shard's manifest and, unless
// --history says otherwise, its history.jsonl: one folder holds what `memgate merge` needs.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/output_folders.hpp"
#include "cli/report_output.hpp"
#include "cli/shard_run.hpp"
#include "cli/verdict_output.hpp"
#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/report/history.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/env/git_info.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/gated_run.hpp"

namespace memgate::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;  // none: the project's
  int repeat = 0;
  std::string baselines;  // "": the project's, or baselines
  std::string out;
  std::string history;  // "": the project's or reports/history.jsonl; sharded ROOT/history.jsonl
  std::string project;
  std::string reports_root;  // the workspace's
  std::string shard;
  std::string sweep;
  bool allow_remote = false;
  bool quiet = false;
  bool json = false;
  bool all_runs = false;
};

// The scenarios of this shard (all, unsharded), each recorded in the shard's manifest.
ExitCode check_selected(const CheckOptions& o, const std::vector<Scenario>& scenarios,
                        const ShardSelection& selection, ShardRecorder& recorder) {
  // Every baseline is read before anything runs: a damaged one is exit 2 in milliseconds.
  std::vector<std::optional<Baseline>> baselines(scenarios.size());
  for (const std::size_t i : selection.indices) {
    const std::string path = baseline_path(o.baselines, scenarios[i].name);
    if (std::filesystem::exists(path)) baselines[i] = read_baseline_file(path);
  }
  const std::string history =
      !o.history.empty() ? o.history : shard_root(o.out, o.reports_root) + "/history.jsonl";
  // Every output is ready before the first run: report folders created, probed and locked,
  // the history writable.
  FolderLocks locks;
  std::vector<std::string> dirs(scenarios.size());
  for (const std::size_t i : selection.indices) {
    dirs[i] =
        scenario_report_dir(selection, o.out, o.reports_root, scenarios.size(), scenarios[i].name);
    locks.lock(dirs[i]);
  }
  if (history != "none") probe_writable_file(history, "the history", "pass --history none");
  // Rules with from_history compare with earlier checks (lines that are not entries are skipped);
  // without such a rule the history is only appended to, never read.
  const bool needed =
      std::any_of(selection.indices.begin(), selection.indices.end(),
                  [&](const std::size_t i) { return reads_history(scenarios[i].gate); });
  std::vector<HistoryEntry> earlier;
  if (needed && history != "none" && std::filesystem::exists(history)) {
    std::vector<std::string> skipped;
    earlier = parse_history(read_input_file(history, kMaxHistoryBytes), history, skipped);
  }
  const auto commit = current_git_commit();
  ProgressPrinter progress(stderr_is_terminal());
  nlohmann::json json_out = {{"scenarios", nlohmann::json::array()}};
  ExitCode exit = ExitCode::ok;
  for (const std::size_t i : selection.indices) {
    const Scenario& scenario = scenarios[i];
    const Baseline* baseline = baselines[i] ? &*baselines[i] : nullptr;
    const std::string& dir = dirs[i];
    RunSettings settings = run_settings(dir, o.repeat > 0 ? o.repeat : scenario.repeat, o.quiet,
                                        progress, scenario.name);
    settings.early_stop = !o.all_runs;
    GatedRun gated = run_and_gate(scenario, baseline, settings, earlier);
    gated.report.created_at = utc_now_iso8601();
    const Verdict* verdict = gated.verdict ? &*gated.verdict : nullptr;
    ExitCode code = verdict ? exit_code_for(*verdict) : ExitCode::run_failed;
    // The figures and the verdict reach the console whether or not the files can be written.
    if (!o.quiet) print_summary(gated.report);
    const auto html = try_write_reports(gated.report, verdict, baseline, dir);
    if (!html) code = worst(code, ExitCode::run_failed);
    if (html && !o.quiet) print(stderr, "  report {}\n", *html);
    // One line per check (history.hpp: whole lines or nothing).
    const std::string line =
        history_line(gated.report, verdict ? to_string(verdict->status) : "invalid",
                     commit ? commit->commit : "", commit && commit->dirty);
    if (!try_append_history(history, line)) code = worst(code, ExitCode::run_failed);
    if (!verdict) print_invalid_runs(gated.report);
    if (!o.json) {
      if (verdict) {
        print_verdict(scenario.name, *verdict, o.files[i], o.baselines);
      } else {
        print("{}: NO VERDICT: a run was not valid (see above)\n", scenario.name);
      }
    }
    json_out["scenarios"].push_back(
        {{"scenario", scenario.name},
         {"exit_code", to_int(code)},
         {"report", dir},
         {"verdict", gated.report.verdict.is_null() ? nlohmann::json{{"status", "invalid"}}
                                                    : gated.report.verdict}});
    if (html) recorder.finished(scenario.name, dir, gated.report.created_at);
    exit = worst(exit, code);
    if (interrupt::requested()) break;
  }
  if (o.json) {
    json_out["exit_code"] = to_int(exit);
    print("{}\n", json_out.dump(1));
  }
  return exit;
}

ExitCode run_check(CheckOptions o) {
  const Workspace workspace = open_workspace(o.project);
  o.files = workspace.scenario_files(o.files);
  if (o.baselines.empty()) o.baselines = workspace.baselines();
  o.reports_root = workspace.reports_root();
  // Sharded, the history goes beside the shard's manifest (ROOT/history.jsonl) for merge.
  if (o.history.empty() && o.shard.empty()) o.history = workspace.history();
  const std::vector<Scenario> scenarios =
      load_scenarios(o.files, {}, o.allow_remote, o.sweep, workspace);
  for (const auto& s : scenarios) check_planned_samples(s, o.repeat > 0 ? o.repeat : s.repeat);
  const ShardSelection selection = select_shard(
      scenarios, o.files, o.shard,
      [&](const Scenario& s) { return o.repeat > 0 ? o.repeat : s.repeat; }, o.quiet);
  ShardRecorder recorder(selection, shard_root(o.out, o.reports_root), "check");
  return recorder.run([&] { return check_selected(o, scenarios, selection, recorder); });
}

}  // namespace

void add_check_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd =
      app.add_subcommand("check", "Run scenarios and gate them against their baselines");
  cmd->add_option("scenarios", o->files, "Scenario files (JSON; default: the project's)");
  cmd->add_option("--repeat", o->repeat, "Repetitions (default: the scenario's repeat)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--baselines", o->baselines,
                  "Folder of the baselines (default: the project's, or baselines)");
  cmd->add_option("--out", o->out,
                  "Report folder (default: REPORTS/<scenario>, REPORTS the project's reports "
                  "folder or reports)");
  cmd->add_option("--history", o->history,
                  "Append one line per scenario here (default: the project's history, or "
                  "reports/history.jsonl; sharded, ROOT/history.jsonl; none: off)");
  add_project_option(cmd, o->project);
  add_shard_option(cmd, o->shard);
  add_sweep_option(cmd, o->sweep);
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress or summary on stderr");
  cmd->add_flag("--json", o->json, "The verdicts as JSON on stdout (instead of the tables)");
  cmd->add_flag("--all-runs", o->all_runs,
                "Run every repetition, even when the first 3 give a clear answer");
  cmd->callback([&selected, o] { selected = [o] { return run_check(*o); }; });
}

}  // namespace memgate::cli
