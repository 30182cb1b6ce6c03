#pragma once

// memgate.json, a repository's project file: which scenarios the team gates, where their
// baselines, reports and history live (relative to the file), the defaults every scenario
// inherits, and how a pull request is judged A/B on one runner (the build command, the SUT's
// program per side). Found by walking up from the current folder (find_project_file); every
// command uses it when present, and behaves as without one otherwise.
//
//   {"scenarios": ["memgate/scenarios/*.json"], "baselines": "memgate/baselines",
//    "reports": "memgate/reports", "history": "memgate/reports/history.jsonl",
//    "defaults": {"watch": {"interval_ms": 50}, "gate": {...}},
//    "build": ["make", "build"],
//    "ab": {"base": "origin/main", "sut_program": {"sut.command.0": "build/bin/my-service"}}}

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace memgate {

inline constexpr const char* kProjectFileName = "memgate.json";

struct ProjectAb {
  std::string base = "origin/main";  // the git ref B (the checkout) is judged against
  // --set keys of the SUT's program and its path relative to the project file's folder, in
  // each side's tree: {"sut.command.0": "build/bin/my-service"}.
  std::vector<std::pair<std::string, std::string>> sut_program;
};

struct Project {
  std::string file;                    // the project file, absolute
  std::string root;                    // its folder, absolute: what the paths below are relative to
  std::vector<std::string> scenarios;  // glob patterns, relative to root
  std::string baselines;               // absolute
  std::string reports;                 // absolute: reports/<scenario>/, merged/, ...
  std::string history;                 // absolute
  // {"watch": {...}, "gate": {...}} (each optional), validated: see apply_project_defaults.
  nlohmann::json defaults = nlohmann::json::object();
  std::vector<std::string> build;  // argv (run in each side's tree); empty: none
  ProjectAb ab;
};

// Reads and validates a project file. Unknown keys, wrong types, a bad glob or a default that is
// no scenario key are an InputError naming the file and the JSON path (exit 2).
Project load_project_file(const std::string& path);

// The same over JSON already parsed; file must be absolute.
Project parse_project(const nlohmann::json& source, const std::string& file);

// memgate.json in start_dir or the nearest folder above it, up to the top of the git repository
// that holds start_dir (a folder with .git) or the file system's root outside one.
std::optional<std::string> find_project_file(const std::string& start_dir);

// Gives a scenario's source the project's defaults, where the scenario does not set them:
//   watch: each key the scenario's watch does not set;
//   gate: the whole gate of a scenario that has none; for a scenario with a gate of its own,
//         only the settings it does not set (noise_mad_k, max_reruns, max_contention_pct,
//         max_speed_diff_pct), never rules or budgets.
// Returns the JSON pointers (in the scenario) of what the defaults set, so that an error there
// can name the project file.
std::vector<std::string> apply_project_defaults(nlohmann::json& scenario,
                                                const nlohmann::json& defaults);

}  // namespace memgate
