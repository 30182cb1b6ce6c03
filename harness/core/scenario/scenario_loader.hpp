#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/model/json_reader.hpp"
#include "core/scenario/overrides.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

// A sweep runs every value `repeat` times: a handful of values is what a slope needs.
constexpr std::size_t kMaxSweepValues = 20;

// Scenario files are small; anything larger is a wrong path or hostile input.
constexpr std::int64_t kMaxScenarioFileBytes = 1024 * 1024;
// A `files` template: a configuration file.
constexpr std::int64_t kMaxTemplateFileBytes = 1024 * 1024;

struct LoadOptions {
  LoadOptions() = default;
  explicit LoadOptions(ScenarioContext c, std::vector<Override> o = {})
      : context(std::move(c)), overrides(std::move(o)) {}

  ScenarioContext context;
  std::vector<Override> overrides;  // --set KEY=VALUE, applied before validation
  // The project's defaults (core/project/project.hpp), applied first: the file, then the
  // overrides, win over them. defaults_file names them in errors.
  nlohmann::json defaults = nlohmann::json::object();
  std::string defaults_file;
};

// Reads, applies overrides and validates a scenario file in full: types, ranges, required keys,
// unknown keys, placeholders, services, `files` templates (read here, once), gate rules.
// Placeholders are checked but ports and {run_dir} are left for instantiate(). Throws InputError
// (exit 2) naming the file and the JSON path, or UsageError for a malformed --set.
Scenario load_scenario_file(const std::string& path, const LoadOptions& options);

// Throws InputError unless the memory samples of every run `check` may make of the scenario
// (`repeat` runs, then gate.max_reruns more rounds, of every sweep value) are within
// limits::kMaxPlannedSamples. load_scenario_file checks it with the scenario's repeat, a command
// given --repeat with its own; `memgate watch`, whose command runs as long as it runs, does not.
void check_planned_samples(const Scenario& scenario, int repeat);

// The same over JSON already parsed; file is used in messages and to resolve relative paths.
// key_order (from parse_json_text) gives the services' file order; without it they start in
// the order of their names.
Scenario parse_scenario(nlohmann::json source, const std::string& file, const LoadOptions& options,
                        const KeyOrder* key_order = nullptr);

// What one run fills in: a free loopback port for every name of scenario_port_names(), and the
// run's folder.
struct RunPlaceholders {
  std::map<std::string, int> ports;
  std::string run_dir;
};

// The scenario for one run, placeholders replaced. Re-validates the expanded JSON, so a port
// can never produce an unchecked value. Throws InputError when a port name has no port.
Scenario instantiate(const Scenario& scenario, const RunPlaceholders& run);

// The names of the ports the scenario asks for: "sut" for {port}, NAME for {port:NAME}, in its
// strings and its templates.
std::set<std::string> scenario_port_names(const Scenario& scenario);

// 16 hex digits: FNV-1a 64 of the canonical JSON of the keys that shape a measurement (name,
// sut, services, watch, phases, driver, max_errors, sweep) and of the `files` templates' texts.
// description, repeat and gate are left out: editing a threshold does not make a baseline
// stale; changing the load does.
std::string scenario_hash(const Scenario& scenario);

}  // namespace memgate
