#pragma once

// Where a command finds its scenarios and puts what it writes: the project's folders when a
// project file (memgate.json) is found or named (--project), the historical defaults otherwise
// (the scenario arguments; reports/, baselines/, reports/history.jsonl in the current folder).

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/project/project.hpp"
#include "core/scenario/scenario_loader.hpp"

namespace memgate::cli {

struct Workspace {
  std::optional<Project> project;

  std::string reports_root() const { return project ? project->reports : "reports"; }
  std::string baselines() const { return project ? project->baselines : "baselines"; }
  std::string history() const { return project ? project->history : "reports/history.jsonl"; }

  // The scenario files a command works on: args when given, else the project's (its globs,
  // each file once, in order; the JSON Schema beside them left out). Without either, or when a
  // pattern matches no file, a UsageError (exit 2) that says what to do.
  std::vector<std::string> scenario_files(const std::vector<std::string>& args) const;

  // How to load a scenario here: {bindir}, --allow-remote, and the project's defaults.
  LoadOptions load_options(bool allow_remote) const;
};

// Registers --project FILE on a subcommand.
void add_project_option(CLI::App* command, std::string& project_file);

// The project named by --project (an unreadable or invalid one is exit 2), else the one found
// from the current folder (find_project_file), else none.
Workspace open_workspace(const std::string& project_option);

}  // namespace memgate::cli
