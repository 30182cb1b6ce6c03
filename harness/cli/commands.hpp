#pragma once

// Subcommands of the memgate command line. Each add_*_command() registers its options on the
// CLI11 app; when the user picks it, `selected` is set to the function that runs it and returns
// the exit code. The CLI is the only code that prints, reads the environment and exits.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/workspace.hpp"
#include "core/model/exit_code.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate::cli {

using Selected = std::function<ExitCode()>;

void add_validate_command(CLI::App& app, Selected& selected);
void add_watch_command(CLI::App& app, Selected& selected);
void add_run_command(CLI::App& app, Selected& selected);
void add_check_command(CLI::App& app, Selected& selected);
void add_baseline_command(CLI::App& app, Selected& selected);
void add_compare_command(CLI::App& app, Selected& selected);
void add_trend_command(CLI::App& app, Selected& selected);
void add_ab_command(CLI::App& app, Selected& selected);
void add_merge_command(CLI::App& app, Selected& selected);
void add_explain_command(CLI::App& app, Selected& selected);
void add_init_command(CLI::App& app, Selected& selected);
void add_project_command(CLI::App& app, Selected& selected);
void add_metrics_command(CLI::App& app, Selected& selected);

// Loads and validates every file before anything runs, with the project's defaults (when there
// is a project), the --set overrides and the --sweep (when not empty). Throws InputError (exit 2)
// at the first bad file.
std::vector<Scenario> load_scenarios(const std::vector<std::string>& files,
                                     const std::vector<std::string>& sets, bool allow_remote,
                                     const std::string& sweep, const Workspace& workspace);

// --sweep KEY=V1,V2,...: run every scenario at each value of KEY (its "sweep").
void add_sweep_option(CLI::App* command, std::string& sweep);

// The folder of the memgate executable: the value of {bindir}.
std::string executable_dir();

// Prints "error: WHAT", its hint and the SUT's log tail (for RunError) to stderr.
void print_error(const std::exception& error);

}  // namespace memgate::cli
