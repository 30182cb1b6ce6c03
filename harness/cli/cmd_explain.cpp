// memgate explain SCENARIO [--out DIR] [--against PROFILE] [--set KEY=VALUE]... [--top N]
// [--depth N] [--by AREA]...:
// one run of the scenario with the SUT under heaptrack (native) or tracemalloc (Python), and
// its top allocation sites by peak (or at the end of the load) and by leaked bytes; with
// --against, the sites that grew most since an older profile. No verdict: exit 0 when the SUT
// was profiled, 2 for bad input (scenario, profile), 3 when it could not be (a missing tool, a
// SUT no tool can follow, an invalid run).

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/explain_output.hpp"
#include "cli/output_folders.hpp"
#include "cli/report_output.hpp"
#include "core/explain/profile_diff.hpp"
#include "core/explain/site_areas.hpp"
#include "core/model/errors.hpp"

namespace memgate::cli {

namespace {

struct ExplainCliOptions {
  std::string file;
  std::string out;
  std::string against;
  std::vector<std::string> sets;
  std::string project;
  bool allow_remote = false;
  bool quiet = false;
  std::size_t top = 5;
  int depth = kDefaultCallerDepth;
  std::vector<std::string> by = {"line"};
};

ExitCode run_explain_command(const ExplainCliOptions& o) {
  const Workspace workspace = open_workspace(o.project);
  const std::vector<Scenario> scenarios =
      load_scenarios({o.file}, o.sets, o.allow_remote, "", workspace);
  const Scenario& scenario = scenarios.front();
  // A bad profile is exit 2 before anything runs.
  std::optional<HeapProfile> before;
  if (!o.against.empty()) before = read_profile_file(o.against);
  const std::string dir =
      o.out.empty() ? workspace.reports_root() + "/" + scenario.name + "/explain" : o.out;
  probe_writable_folder(dir, "the explain folder", "choose another folder with --out");
  FolderLocks lock;
  lock.lock(dir);
  ProgressPrinter progress(stderr_is_terminal());
  ExplainRun run = explain_scenario(scenario, {dir, o.quiet, o.depth}, progress);
  ExplainResult& result = run.result;
  result.by.clear();
  for (const auto& name : o.by) {
    const SiteGrouping by = *parse_grouping(name);  // CLI11 checked the names
    if (std::find(result.by.begin(), result.by.end(), by) == result.by.end())
      result.by.push_back(by);
  }
  if (before && result.profile.tool != "none") {
    try {
      const std::int64_t floor = growth_floor_bytes(*before, result.profile);
      result.comparison = ExplainComparison{
          o.against, before->created_at,
          diff_profiles(*before, result.profile, o.against, kExplainTopSites, floor), floor};
    } catch (const InputError&) {
      write_explain_outputs(run, dir);  // this run's profile is kept: exit 2 says the rest
      throw;
    }
  }
  const std::string html = write_explain_outputs(run, dir);
  for (const auto& line : explain_console_lines(result, o.top)) print("{}\n", line);
  if (!o.quiet) print(stderr, "  explain {}\n", html);
  return explain_exit_code(run);
}

}  // namespace

void add_explain_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<ExplainCliOptions>();
  CLI::App* cmd =
      app.add_subcommand("explain",
                         "Run a scenario once with the SUT under heaptrack (native) or tracemalloc "
                         "(Python): its top allocation sites");
  cmd->add_option("scenario", o->file, "Scenario file (JSON)")->required();
  cmd->add_option("--out", o->out,
                  "Output folder (default REPORTS/<scenario>/explain, REPORTS the project's "
                  "reports folder or reports)");
  add_project_option(cmd, o->project);
  cmd->add_option("--against", o->against,
                  "An older profile (explain.json, or baselines/<scenario>.profile.json from "
                  "`memgate baseline --profile`): print the sites that grew most");
  cmd->add_option("--set", o->sets, "Override a scenario key: --set phases.load_s=5");
  cmd->add_option("--top", o->top,
                  "Sites printed per table (default 5; explain.md and .html show 15, "
                  "explain.json keeps 200)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--depth", o->depth,
                  "Frames of the SUT's own code kept above each native allocation site "
                  "(default 2): sites reached from other callers are rows of their own")
      ->check(CLI::Range(0, 32));
  cmd->add_option("--by", o->by,
                  "Areas to print a table for: line (each site, the default), function, file, "
                  "module (a native SUT's libraries; a Python SUT's modules); repeat or separate "
                  "with commas")
      ->delimiter(',')
      ->check(CLI::IsMember({"line", "function", "file", "module"}));
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress on stderr");
  cmd->callback([&selected, o] { selected = [o] { return run_explain_command(*o); }; });
}

}  // namespace memgate::cli
