#pragma once

// Internal to the scenario loader: parsers of the scenario's parts.

#include <string>

#include "core/scenario/json_reader.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate::scenario_parts {

// A port: a whole number 1..65535, or a string holding one (what "{port}" expands to).
int get_port(ObjectReader& r, std::string_view key);
std::optional<int> opt_port(ObjectReader& r, std::string_view key);

// Throws unless host is loopback or the context allows remote targets.
void require_allowed_host(const ObjectReader& r, std::string_view key, const std::string& host,
                          const ScenarioContext& context);

DriverSpec parse_driver(ObjectReader r, const std::string& scenario_dir,
                        const ScenarioContext& context);

// Gate rules, checked against what the scenario can measure (its driver; its cool-down, for
// residual memory). An absent gate gets the defaults.
GateSpec parse_gate(std::optional<ObjectReader> r, const DriverSpec& driver, double cooldown_s);

}  // namespace memgate::scenario_parts
