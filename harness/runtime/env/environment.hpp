#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace memgate {

// The machine and build a measurement was taken on: CPU model, cores, memory, kernel, OS,
// compiler, build type, memgate version, host name. Reports and baselines carry it.
nlohmann::json read_environment();

// The value of the environment variable `name`, if it is set (a lookup for expand_env_refs).
std::optional<std::string> getenv_value(const std::string& name);

// Warnings the context calls for (a Debug or sanitizer build measures a different program's
// overhead; few cores make the load generator compete with the SUT).
std::vector<std::string> environment_warnings(const nlohmann::json& environment);

}  // namespace memgate
