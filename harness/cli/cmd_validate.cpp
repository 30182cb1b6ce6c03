// memgate validate SCENARIO...: checks scenario files in full, runs nothing.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/drivers/driver_kind.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/drivers/driver_factory.hpp"

namespace memgate::cli {

namespace {

struct ValidateOptions {
  std::vector<std::string> files;  // none: the project's
  std::string project;
  bool allow_remote = false;
};

std::string describe_load(const Scenario& s) {
  if (s.phases.load_s) return fmt::format("{} s of load", *s.phases.load_s);
  if (s.phases.load_ops) {
    return fmt::format("{} {}s", *s.phases.load_ops, driver_traits(s.driver).op_unit);
  }
  return "the command's whole life";
}

std::string describe_services(const Scenario& s) {
  if (s.services.empty()) return "";
  std::vector<std::string> names;
  for (const auto& service : s.services) names.push_back(service.name);
  return fmt::format(", services {}", fmt::join(names, ", "));
}

ExitCode run_validate(const ValidateOptions& options) {
  const Workspace workspace = open_workspace(options.project);
  const std::vector<std::string> files = workspace.scenario_files(options.files);
  const LoadOptions load = workspace.load_options(options.allow_remote);
  int bad = 0;
  for (const auto& file : files) {
    try {
      const Scenario s = load_scenario_file(file, load);
      const auto notes = check_run_inputs(s, false);
      const std::string sweep =
          s.sweep ? fmt::format(", sweep {} over {} ({} runs)", s.sweep->key,
                                fmt::join(s.sweep->values, ", "),
                                s.repeat * static_cast<int>(s.sweep->values.size()))
                  : std::string();
      print("ok     {}: '{}', {} driver{}, {}, repeat {}{}, {} gate rule(s)\n", file, s.name,
            driver_type(s.driver), describe_services(s), describe_load(s), s.repeat, sweep,
            s.gate.rules.size() + s.gate.budgets.size() + s.gate.per_unit.size());
      for (const auto& note : notes) print("  note: {}\n", note);
    } catch (const Error& e) {
      ++bad;
      print_error(e);
    }
  }
  if (bad > 0) {
    print(stderr, "{} of {} scenario file(s) invalid\n", bad, files.size());
    return ExitCode::bad_input;
  }
  return ExitCode::ok;
}

}  // namespace

void add_validate_command(CLI::App& app, Selected& selected) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Check scenario files in full; run nothing");
  cmd->add_option("scenarios", options->files, "Scenario files (JSON; default: the project's)");
  add_project_option(cmd, options->project);
  cmd->add_flag("--allow-remote", options->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->callback([&selected, options] { selected = [options] { return run_validate(*options); }; });
}

}  // namespace memgate::cli
