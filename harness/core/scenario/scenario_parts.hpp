#pragma once

// Internal to the scenario loader: parsers of the scenario's parts.

#include <functional>
#include <optional>
#include <string>

#include "core/drivers/driver_kind.hpp"
#include "core/model/json_reader.hpp"
#include "core/scenario/placeholders.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate::scenario_parts {

// What a role's `files` templates need: the text of a template file (read once per scenario)
// and the placeholder values of this expansion.
struct TemplateContext {
  std::string scenario_dir;
  const PlaceholderValues* values = nullptr;
  std::function<const std::string&(const std::string& path)> text_of;
};

// The SUT ("sut") or a service: command, env, cwd, ready (one probe or a list), stop_grace_s,
// files, and for services `gate`.
RoleSpec parse_role(ObjectReader r, const std::string& name, const TemplateContext& templates);

// `watch`: interval_ms, memory (rss|pss), exact_peak; defaults when absent.
WatchSpec parse_watch(std::optional<ObjectReader> r);

// What the gate rules are checked against.
struct GateContext {
  std::optional<DriverTraits> traits;  // absent: only the form is checked (a report's rules)
  double cooldown_s = 1;
  std::vector<std::string> gated_services;  // services with "gate": true
  std::vector<std::string> services;        // every service of the scenario
  bool sweep = false;  // the scenario has one: per_unit.<metric> rules may be named
  double warmup_s = 1;  // a one-shot command's plateau and growth need a warm-up
};

// Gate rules, checked against what the scenario can measure (its driver's traits; its
// cool-down, for residual memory). An absent gate gets the defaults. Gated services get the
// memory rules as services.NAME.<metric> unless the gate names such a rule itself. Rules on
// per_unit.<metric> (a sweep's figures) have "max" and/or "max_increase_pct" and
// "min_increase_bytes".
GateSpec parse_gate(std::optional<ObjectReader> r, const GateContext& context);

}  // namespace memgate::scenario_parts
