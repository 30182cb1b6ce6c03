#include <fmt/format.h>

#include <algorithm>

#include "core/model/metrics.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate::scenario_parts {

namespace {

// Metrics a scenario cannot produce: a rule on them could never be checked.
bool open_model(const DriverSpec& driver) {
  if (const auto* r = std::get_if<RedisQueueDriverSpec>(&driver)) return r->rate_per_s > 0;
  if (const auto* t = std::get_if<TextBatchDriverSpec>(&driver)) return t->rate_per_s > 0;
  return false;
}

std::optional<std::string> unmeasured_reason(const std::string& metric, const DriverSpec& driver,
                                             double cooldown_s) {
  if (!std::holds_alternative<CommandDriverSpec>(driver)) {
    if (cooldown_s <= 0 && (metric == "residual_bytes" || metric == "retained_bytes")) {
      return "residual memory is measured in the cool-down: set phases.cooldown_s above 0";
    }
    if (metric == "throughput_per_s" && open_model(driver)) {
      return "an open-model scenario's throughput is its target rate (a SUT that cannot keep up "
             "makes the run invalid), so a rule on it could never fire: gate latency_p99_ms "
             "instead";
    }
    return std::nullopt;
  }
  if (metric == "throughput_per_s" || metric.rfind("latency_", 0) == 0) {
    return "a command scenario has no operations, so no throughput or latency";
  }
  if (metric == "idle_bytes" || metric == "residual_bytes" || metric == "retained_bytes") {
    return "a command scenario has no idle or cool-down phase";
  }
  return std::nullopt;
}

GateSpec default_gate(const DriverSpec& driver, double cooldown_s) {
  constexpr double kFloorBytes = 4 * 1024 * 1024;
  GateSpec gate;
  for (const char* m : {"peak_bytes", "plateau_bytes", "residual_bytes"}) {
    if (unmeasured_reason(m, driver, cooldown_s)) continue;
    gate.rules.push_back({m, 10, kFloorBytes});
  }
  gate.rules.push_back({"growth_bytes_per_min", std::nullopt, 1024 * 1024});
  if (!unmeasured_reason("throughput_per_s", driver, cooldown_s)) {
    gate.rules.push_back({"throughput_per_s", 15, std::nullopt});
  }
  return gate;
}

}  // namespace

GateSpec parse_gate(std::optional<ObjectReader> r, const DriverSpec& driver, double cooldown_s) {
  if (!r) return default_gate(driver, cooldown_s);
  GateSpec gate;
  gate.noise_mad_k = r->opt_number("noise_mad_k", 0, 100).value_or(gate.noise_mad_k);
  gate.max_reruns = static_cast<int>(r->opt_int("max_reruns", 0, 10).value_or(gate.max_reruns));
  if (auto budgets = r->opt_object("budgets")) {
    for (const auto& info : gated_metrics()) {
      const auto limit = budgets->opt_number(info.name, 0, 1e18);
      if (!limit) continue;
      if (auto why = unmeasured_reason(info.name, driver, cooldown_s)) {
        budgets->fail(info.name, *why);
      }
      gate.budgets.push_back({info.name, *limit});
    }
    budgets->reject_unknown_keys();
  }
  for (const auto& info : gated_metrics()) {
    auto rule_reader = r->opt_object(info.name);
    if (!rule_reader) continue;
    if (auto why = unmeasured_reason(info.name, driver, cooldown_s)) r->fail(info.name, *why);
    GateRule rule{info.name, rule_reader->opt_number(info.tolerance_key, 0, 100'000),
                  rule_reader->opt_number(info.floor_key, 0, 1e18)};
    rule_reader->reject_unknown_keys();
    if (!rule.max_change_pct && !rule.min_change) {
      rule_reader->fail_here(fmt::format("a rule needs '{}' and/or '{}'", info.tolerance_key,
                                         info.floor_key));
    }
    gate.rules.push_back(std::move(rule));
  }
  r->reject_unknown_keys();
  return gate;
}

}  // namespace memgate::scenario_parts
