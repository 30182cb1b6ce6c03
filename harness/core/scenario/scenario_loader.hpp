#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/scenario/overrides.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

// Scenario files are small; anything larger is a wrong path or hostile input.
constexpr std::int64_t kMaxScenarioFileBytes = 1024 * 1024;

struct LoadOptions {
  ScenarioContext context;
  std::vector<Override> overrides;  // --set KEY=VALUE, applied before validation
};

// Reads, applies overrides and validates a scenario file in full: types, ranges, required keys,
// unknown keys, placeholders, gate rules. Placeholders are checked but {port} is left for
// instantiate(). Throws InputError (exit 2) naming the file and the JSON path, or UsageError for
// a malformed --set.
Scenario load_scenario_file(const std::string& path, const LoadOptions& options);

// The same over JSON already parsed; file is used in messages and to resolve relative paths.
Scenario parse_scenario(nlohmann::json source, const std::string& file, const LoadOptions& options);

// The scenario for one run, with {port} replaced by port. Re-validates the expanded JSON, so a
// port can never produce an unchecked value.
Scenario instantiate(const Scenario& scenario, int port);

// 16 hex digits: FNV-1a 64 of the canonical JSON of the keys that shape a measurement (name,
// sut, watch, phases, driver, max_errors). description, repeat and gate are left out: editing a
// threshold does not make a baseline stale; changing the load does.
std::string scenario_hash(const Scenario& scenario);

// True when the scenario asks for a free port ({port}).
bool needs_port(const Scenario& scenario);

}  // namespace memgate
