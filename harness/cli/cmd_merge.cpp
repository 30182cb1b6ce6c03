// memgate merge DIR... [--out DIR] [--history FILE] [--json]: one verdict from the reports of the
// shards of `memgate check --shard I/N` (or `run`): OUT/summary.md, OUT/junit.xml,
// OUT/verdict.json, and the shards' history lines merged in time order. Exit code: the worst
// scenario's; a scenario whose shard is missing or did not reach it counts as a run that was not
// carried out (3).

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/report_output.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/report/report_reader.hpp"
#include "core/shard/merged_report.hpp"

namespace memgate::cli {

namespace {

namespace fs = std::filesystem;

struct MergeOptions {
  std::vector<std::string> dirs;
  std::string out;      // "": REPORTS/merged (the project's reports folder, or reports)
  std::string history;  // "": the project's history, or reports/history.jsonl
  std::string project;
  bool json = false;
};

constexpr std::int64_t kMaxTextBytes = 256 * 1024 * 1024;

// The manifests at the top of each folder, in name order. A folder without one (a shard that
// failed before memgate wrote anything, an empty artifact) is skipped with a warning: its shard
// counts as missing. None in any folder is exit 3: no shard ran.
std::vector<LoadedManifest> read_manifests(const std::vector<std::string>& dirs) {
  std::vector<LoadedManifest> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      throw UsageError(fmt::format("{} is not a folder", dir),
                       "give the folders that `memgate check --shard I/N` wrote (its --out)");
    }
    std::vector<std::string> found;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      if (shard_of_manifest_name(item.path().filename().string())) {
        found.push_back(item.path().string());
      }
    }
    if (ec) throw UsageError(fmt::format("cannot list {}: {}", dir, ec.message()));
    if (found.empty()) {
      print(stderr,
            "warning: {} holds no shard manifest (shard-I-of-N.json): skipped; its "
            "shard did not start or this is not a shard's folder\n",
            dir);
    }
    std::sort(found.begin(), found.end());
    for (const auto& path : found) {
      LoadedManifest loaded{path, read_manifest_file(path)};
      const Shard named = *shard_of_manifest_name(fs::path(path).filename().string());
      if (named.index != loaded.manifest.shard.index ||
          named.count != loaded.manifest.shard.count) {
        throw InputError(path, "/shard",
                         fmt::format("holds shard {}, but its name says {}",
                                     to_string(loaded.manifest.shard), to_string(named)),
                         "keep the name memgate gave it");
      }
      out.push_back(std::move(loaded));
    }
  }
  if (out.empty()) {
    throw RunError("none of the folders holds a shard manifest: no shard ran",
                   "give the folders that `memgate check --shard I/N` wrote (its --out)");
  }
  return out;
}

MergedScenario read_scenario(const MergePlan& plan, const MergeEntry& entry) {
  if (entry.report_path.empty()) return missing_scenario(entry);
  const ReportForGate report = read_report_file(entry.report_path);
  if (report.report.scenario != entry.scenario) {
    throw InputError(entry.report_path, "/scenario",
                     fmt::format("the report of '{}', where its shard's manifest says '{}'",
                                 report.report.scenario, entry.scenario));
  }
  if (report.memgate_version != plan.memgate_version) {
    throw InputError(entry.report_path, "/memgate_version",
                     fmt::format("written by memgate {}, not {} like its shards' manifests",
                                 report.memgate_version, plan.memgate_version),
                     "merge the reports of one run of the shards, from one memgate");
  }
  // A report rewritten since its shard finished it (another run into the same folder) is not
  // the shard's result.
  const auto refuse_stale = [&](const char* path, const std::string& what) {
    throw InputError(
        entry.report_path, path,
        fmt::format("{}: not the report its shard wrote (another run rewrote it?)", what),
        "run the shard again, into a folder of its own (--out)");
  };
  if (report.report.created_at != entry.report_created_at) {
    refuse_stale("/created_at", fmt::format("written at {}, where its shard's manifest says {}",
                                            report.report.created_at, entry.report_created_at));
  }
  if (report.report.scenario_hash != entry.hash) {
    refuse_stale("/scenario_hash", "of another version of the scenario than its shard ran");
  }
  if (plan.command == "check" && report.report.verdict.is_null() && report.report.all_valid()) {
    refuse_stale("/verdict", "a report without a verdict, from a shard of memgate check");
  }
  const fs::path summary = fs::path(entry.report_path).parent_path() / "summary.md";
  std::error_code ec;
  std::string md = fs::exists(summary, ec) ? read_input_file(summary.string(), kMaxTextBytes) : "";
  return merged_scenario(entry, report, std::move(md));
}

// The history at path, then each manifest folder's history.jsonl, merged in time order.
void merge_history_into(const std::string& path, const std::vector<LoadedManifest>& manifests) {
  std::vector<std::string> texts;
  std::error_code ec;
  if (fs::exists(path, ec)) texts.push_back(read_input_file(path, kMaxTextBytes));
  std::set<std::string> folders;
  for (const auto& m : manifests) {
    const fs::path shard_history = fs::path(m.path).parent_path() / "history.jsonl";
    if (folders.insert(shard_history.lexically_normal().string()).second &&
        fs::exists(shard_history, ec)) {
      texts.push_back(read_input_file(shard_history.string(), kMaxTextBytes));
    }
  }
  write_file_atomic(path, merge_history_texts(texts));
}

// merge_history_into the history file, while no check appends to it (with_folder_lock).
void merge_history(const std::string& file, const std::vector<LoadedManifest>& manifests) {
  update_history(file, [&](const std::string& path) {
    with_folder_lock(path, [&] { merge_history_into(path, manifests); });
  });
}

// What an earlier merge wrote into OUT goes first: a merge that fails must not leave the last
// one's verdict standing for it.
void remove_earlier_merge(const std::string& out) {
  for (const char* name : {"verdict.json", "junit.xml", "summary.md"}) {
    std::error_code ec;
    fs::remove(fs::path(out) / name, ec);
  }
}

ExitCode run_merge(MergeOptions o) {
  const Workspace workspace = open_workspace(o.project);
  if (o.out.empty()) o.out = workspace.reports_root() + "/merged";
  if (o.history.empty()) o.history = workspace.history();
  remove_earlier_merge(o.out);
  const std::vector<LoadedManifest> manifests = read_manifests(o.dirs);
  const MergePlan plan = plan_merge(manifests);
  // The history first: the shards' lines are kept even when a report turns out to be damaged.
  merge_history(o.history, manifests);
  std::vector<MergedScenario> scenarios;
  for (const auto& entry : plan.entries) scenarios.push_back(read_scenario(plan, entry));
  const ExitCode exit = merged_exit(scenarios);

  if (const std::error_code ec = make_folders(o.out)) {
    throw RunError(fmt::format("cannot create {}: {}", o.out, ec.message()),
                   "choose another folder with --out");
  }
  std::vector<JunitSuite> suites;
  for (const auto& s : scenarios) suites.push_back(s.junit);
  const nlohmann::json verdict = merged_verdict_json(plan, scenarios);
  write_file_atomic((fs::path(o.out) / "summary.md").string(), merged_summary_md(plan, scenarios));
  write_file_atomic((fs::path(o.out) / "junit.xml").string(), render_junit(suites));
  write_file_atomic((fs::path(o.out) / "verdict.json").string(), verdict.dump(1) + "\n");

  if (o.json) {
    print("{}\n", verdict.dump(1));
    return exit;
  }
  for (const auto& s : scenarios) {
    print("{} (shard {}): {}{}\n", s.entry.scenario, to_string(s.entry.shard),
          s.status == "missing" ? "NO REPORT" : s.status,
          s.entry.missing_reason.empty() ? "" : ": " + s.entry.missing_reason);
  }
  print(
      "merged {} scenario(s) from {} shard(s): {} (exit {}); {}/summary.md, junit.xml, "
      "verdict.json\n",
      scenarios.size(), plan.shard_count, merged_status(plan, exit), to_int(exit), o.out);
  return exit;
}

}  // namespace

void add_merge_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "One verdict, summary.md and junit.xml from the reports of sharded checks");
  cmd->add_option("dirs", o->dirs, "Folders of the shards (each holds shard-I-of-N.json)")
      ->required();
  cmd->add_option("--out", o->out,
                  "Where to write summary.md, junit.xml, verdict.json (default REPORTS/merged, "
                  "REPORTS the project's reports folder or reports)");
  cmd->add_option("--history", o->history,
                  "Merge the shards' history lines into this file, in time order (default: the "
                  "project's history, or reports/history.jsonl; none: off)");
  add_project_option(cmd, o->project);
  cmd->add_flag("--json", o->json, "The merged verdict as JSON on stdout");
  cmd->callback([&selected, o] { selected = [o] { return run_merge(*o); }; });
}

}  // namespace memgate::cli
