// memgate project [--get KEY] [--project FILE]: the project this folder belongs to, resolved: its
// file, folders and scenario files, as JSON (or one value with --get), for scripts and CI steps
// that must know where the reports go. No project is exit 2.

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/model/errors.hpp"

namespace memgate::cli {

namespace {

struct ProjectOptions {
  std::string project;
  std::string get;
};

ExitCode run_project(const ProjectOptions& o) {
  const Workspace workspace = open_workspace(o.project);
  if (!workspace.project) {
    throw UsageError("no memgate.json here or above (up to the repository's top)",
                     "set a project up with `memgate init`, or name one with --project");
  }
  const Project& p = *workspace.project;
  const nlohmann::json resolved = {{"file", p.file},
                                   {"root", p.root},
                                   {"scenarios", workspace.scenario_files({})},
                                   {"baselines", p.baselines},
                                   {"reports", p.reports},
                                   {"history", p.history},
                                   {"build", p.build},
                                   {"base", p.ab.base}};
  if (o.get.empty()) {
    print("{}\n", resolved.dump(2));
    return ExitCode::ok;
  }
  const nlohmann::json& value = resolved.at(o.get);
  if (value.is_string()) {
    print("{}\n", value.get<std::string>());
  } else {
    for (const auto& item : value) print("{}\n", item.get<std::string>());
  }
  return ExitCode::ok;
}

}  // namespace

void add_project_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<ProjectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "project", "The project file this folder belongs to (memgate.json), resolved, as JSON");
  cmd->add_option("--get", o->get,
                  "Print one value: file, root, scenarios (one a line), "
                  "baselines, reports, history, build, base")
      ->check(CLI::IsMember(
          {"file", "root", "scenarios", "baselines", "reports", "history", "build", "base"}));
  add_project_option(cmd, o->project);
  cmd->callback([&selected, o] { selected = [o] { return run_project(*o); }; });
}

}  // namespace memgate::cli
