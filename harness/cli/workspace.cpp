#include "cli/workspace.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "core/model/errors.hpp"

namespace memgate::cli {

namespace fs = std::filesystem;

namespace {

// The files a pattern names, sorted; none when it matches nothing.
std::vector<std::string> glob_files(const std::string& pattern) {
  glob_t found{};
  std::vector<std::string> files;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found) == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
      std::error_code ec;
      if (fs::is_regular_file(found.gl_pathv[i], ec)) files.emplace_back(found.gl_pathv[i]);
    }
  }
  ::globfree(&found);
  std::sort(files.begin(), files.end());
  return files;
}

bool is_schema(const std::string& file) {
  const std::string suffix = ".schema.json";
  return file.size() >= suffix.size() &&
         file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> Workspace::scenario_files(const std::vector<std::string>& args) const {
  if (!args.empty()) return args;
  if (!project) {
    throw UsageError("no scenario files given, and no memgate.json here or above",
                     "name the scenario files, or set a project up with `memgate init`");
  }
  std::vector<std::string> files;
  for (std::size_t i = 0; i < project->scenarios.size(); ++i) {
    const std::string pattern = (fs::path(project->root) / project->scenarios[i]).string();
    const auto matched = glob_files(pattern);
    if (matched.empty()) {
      throw InputError(project->file, fmt::format("/scenarios/{}", i),
                       fmt::format("'{}' matches no file", project->scenarios[i]),
                       "write a scenario there (memgate init writes an example), or fix the "
                       "pattern");
    }
    for (const auto& file : matched) {
      if (!is_schema(file) && std::find(files.begin(), files.end(), file) == files.end()) {
        files.push_back(file);
      }
    }
  }
  return files;
}

LoadOptions Workspace::load_options(bool allow_remote) const {
  LoadOptions load;
  load.context = {executable_dir(), allow_remote};
  if (project) {
    load.defaults = project->defaults;
    load.defaults_file = project->file;
  }
  return load;
}

void add_project_option(CLI::App* command, std::string& project_file) {
  command->add_option("--project", project_file,
                      "The project file (default: memgate.json here or in a folder above, up to "
                      "the repository's top)");
}

Workspace open_workspace(const std::string& project_option) {
  if (!project_option.empty()) return {load_project_file(project_option)};
  std::error_code ec;
  const auto found = find_project_file(fs::current_path(ec).string());
  if (!found) return {};
  return {load_project_file(*found)};
}

}  // namespace memgate::cli
