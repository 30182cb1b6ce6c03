#include <fmt/format.h>

#include <algorithm>

#include "core/metrics/metric_table.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate::scenario_parts {

namespace {

// Why a scenario cannot produce a metric (a rule on it could never be checked), or nothing: the
// first of the metric's needs (metric_table.hpp) that the scenario lacks.
std::optional<std::string> unmeasured_reason(const std::string& metric, const GateContext& c) {
  const MetricInfo* info = find_metric(metric);
  if (!c.traits || !info) return std::nullopt;
  const DriverTraits& t = *c.traits;
  const auto needs = [&](Need need) { return (info->needs & need) != 0; };
  if (!t.has_operations && needs(kNeedsOperations)) {
    return "a command scenario has no operations, so no throughput, latency or CPU per operation";
  }
  if (!t.has_idle_and_cooldown && needs(kNeedsIdleAndCooldown)) {
    return "a command scenario has no idle or cool-down phase";
  }
  if (t.one_shot && c.warmup_s <= 0 && needs(kNeedsWarmupIfOneShot)) {
    return "a command's plateau and growth are measured after its start-up: set "
           "phases.warmup_s to the time it takes to start (its whole life is the load)";
  }
  if (!t.counts_ops && needs(kNeedsOperations)) {
    return "a load command without a parser reports no operations, so no throughput, latency "
           "or CPU per operation: set driver.parser (wrk, redis-benchmark or json-line)";
  }
  if (!t.has_latency && needs(kNeedsLatency)) return t.no_latency_reason;
  if (!t.has_latency_p95 && needs(kNeedsP95)) {
    return "wrk prints the 50th, 75th, 90th and 99th percentiles, not the 95th: gate "
           "latency_p99_ms";
  }
  if (c.cooldown_s <= 0 && needs(kNeedsCooldown)) {
    return "residual memory is measured in the cool-down: set phases.cooldown_s above 0";
  }
  if (t.open_model && needs(kNeedsClosedModel)) {
    return "an open-model scenario's throughput is its target rate (a SUT that cannot keep up "
           "makes the run invalid), so a rule on it could never fire: gate latency_p99_ms "
           "instead";
  }
  return std::nullopt;
}

// The rules of the metric table's default gate that the scenario can measure.
GateSpec default_gate(const GateContext& c) {
  GateSpec gate;
  for (const MetricInfo& m : gated_metrics()) {
    if (!m.default_rule || unmeasured_reason(m.name, c)) continue;
    gate.rules.push_back({m.name, m.default_rule->tolerance_pct, m.default_rule->floor});
  }
  return gate;
}

// The metric a gate key names: a gated metric, or services.NAME.<memory metric>; checks that
// the scenario can measure it. Returns nullptr for keys that are neither (unknown keys).
const MetricInfo* gate_metric(ObjectReader& r, const std::string& key, const GateContext& c) {
  if (const auto service = split_service_metric(key)) {
    const MetricInfo* info = find_metric(service->metric);
    if (!info || !is_memory_metric(*info)) {
      r.fail(key,
             fmt::format("'{}' is not a memory metric: a service is gated on its memory",
                         service->metric),
             fmt::format("memory metrics: {}", fmt::join(memory_metric_names(), ", ")));
    }
    if (service->service == "sut") {
      r.fail(key, "the SUT is not a service",
             fmt::format("name the metric alone: {}", service->metric));
    }
    if (c.traits &&
        std::find(c.services.begin(), c.services.end(), service->service) == c.services.end()) {
      const auto guess = closest_word(service->service, c.services);
      r.fail(key, fmt::format("there is no service '{}'", service->service),
             guess ? fmt::format("did you mean services.{}.{}?", *guess, service->metric)
                   : "name one of the scenario's services");
    }
    if (c.traits && std::find(c.gated_services.begin(), c.gated_services.end(), service->service) ==
                        c.gated_services.end()) {
      r.fail(key, fmt::format("the service '{}' is not gated", service->service),
             fmt::format("set services.{}.gate to true", service->service));
    }
    if (auto why = unmeasured_reason(service->metric, c)) r.fail(key, *why);
    return info;
  }
  const MetricInfo* info = find_metric(key);
  if (info) {
    if (auto why = unmeasured_reason(key, c)) r.fail(key, *why);
  }
  return info;
}

// Gated services get every memory rule the gate has, unless it names one for them itself.
void add_service_rules(GateSpec& gate, const GateContext& c) {
  std::vector<GateRule> added;
  for (const auto& service : c.gated_services) {
    for (const GateRule& rule : gate.rules) {
      if (split_service_metric(rule.metric) || !is_memory_metric(*find_metric(rule.metric))) {
        continue;
      }
      const std::string name = service_metric_name(service, rule.metric);
      const bool named = std::any_of(gate.rules.begin(), gate.rules.end(),
                                     [&](const GateRule& r) { return r.metric == name; });
      if (!named) added.push_back({name, rule.max_change_pct, rule.min_change, rule.from_history});
    }
  }
  gate.rules.insert(gate.rules.end(), added.begin(), added.end());
}

// `"per_unit.retained_bytes": {"max": 64, "max_increase_pct": 50, "min_increase_bytes": 16}`.
PerUnitRule parse_per_unit_rule(ObjectReader& r, const std::string& key, const std::string& metric,
                                const GateContext& c) {
  const auto names = per_unit_metric_names();
  if (std::find(names.begin(), names.end(), metric) == names.end()) {
    const auto guess = closest_word(metric, names);
    r.fail(key, fmt::format("'{}' has no figure per unit", metric),
           guess ? fmt::format("did you mean per_unit.{}?", *guess)
                 : fmt::format("per-unit figures: {}", fmt::join(names, ", ")));
  }
  if (c.traits && !c.sweep) {
    r.fail(key, "a per-unit rule needs a sweep: the scenario has none",
           "add \"sweep\": {\"key\": \"phases.load_ops\", \"values\": [1000, 2000, 4000]} (or run "
           "with --sweep)");
  }
  if (auto why = unmeasured_reason(metric, c)) r.fail(key, *why);
  ObjectReader rule_reader = r.get_object(key);
  PerUnitRule rule{metric, rule_reader.opt_number("max", -1e18, 1e18),
                   rule_reader.opt_number("max_increase_pct", 0, 100'000),
                   rule_reader.opt_number("min_increase_bytes", 0, 1e18)};
  rule_reader.reject_unknown_keys();
  if (!rule.max && !rule.max_change_pct && !rule.min_change) {
    rule_reader.fail_here(
        "a per-unit rule needs 'max' (bytes per unit) and/or 'max_increase_pct' and "
        "'min_increase_bytes' (against the baseline's figure)");
  }
  return rule;
}

}  // namespace

// Rules and budgets in the order of the metrics' table, the SUT's first, then each service's by
// name: the same order whatever the file's, and after a round trip through report.json.
void sort_rules(GateSpec& gate) {
  const auto order = [](const std::string& metric) {
    const auto service = split_service_metric(metric);
    const auto names = gated_metric_names();
    const auto at = std::find(names.begin(), names.end(), service ? service->metric : metric);
    return std::pair{service ? service->service : std::string(), at - names.begin()};
  };
  std::stable_sort(gate.rules.begin(), gate.rules.end(), [&](const GateRule& a, const GateRule& b) {
    return order(a.metric) < order(b.metric);
  });
  std::stable_sort(
      gate.budgets.begin(), gate.budgets.end(),
      [&](const GateBudget& a, const GateBudget& b) { return order(a.metric) < order(b.metric); });
}

GateSpec parse_gate(std::optional<ObjectReader> r, const GateContext& c) {
  if (!r) {
    GateSpec gate = default_gate(c);
    add_service_rules(gate, c);
    sort_rules(gate);
    return gate;
  }
  GateSpec gate;
  gate.noise_mad_k = r->opt_number("noise_mad_k", 0, 100).value_or(gate.noise_mad_k);
  gate.max_reruns = static_cast<int>(r->opt_int("max_reruns", 0, 10).value_or(gate.max_reruns));
  gate.max_contention_pct =
      r->opt_number("max_contention_pct", 0, 100).value_or(gate.max_contention_pct);
  gate.max_speed_diff_pct =
      r->opt_number("max_speed_diff_pct", 0, 1000).value_or(gate.max_speed_diff_pct);
  gate.single_sitting_hard_factor = r->opt_number("single_sitting_hard_factor", 1, 1000)
                                        .value_or(gate.single_sitting_hard_factor);
  // Every metric name is a known key, so that a typo gets a "did you mean".
  for (const auto& name : gated_metric_names()) r->has(name);
  if (auto budgets = r->opt_object("budgets")) {
    for (const auto& name : gated_metric_names()) budgets->has(name);
    for (const auto& key : budgets->keys()) {
      if (!gate_metric(*budgets, key, c)) continue;  // unknown: rejected below
      gate.budgets.push_back({key, *budgets->opt_number(key, 0, 1e18)});
    }
    budgets->reject_unknown_keys();
  }
  for (const auto& key : r->keys()) {
    if (const auto per_unit = split_per_unit_metric(key)) {
      gate.per_unit.push_back(parse_per_unit_rule(*r, key, *per_unit, c));
      continue;
    }
    const MetricInfo* info = gate_metric(*r, key, c);
    if (!info) continue;  // another key of the gate, or unknown: rejected below
    ObjectReader rule_reader = r->get_object(key);
    GateRule rule{key, rule_reader.opt_number(info->tolerance_key, 0, 100'000),
                  rule_reader.opt_number(info->floor_key, 0, 1e18), std::nullopt};
    if (auto window = rule_reader.opt_object("from_history")) {
      HistoryWindow w;
      w.last = static_cast<int>(window->opt_int("last", 2, 1000).value_or(w.last));
      w.min_entries = static_cast<int>(
          window->opt_int("min_entries", 2, w.last).value_or(std::min(w.min_entries, w.last)));
      window->reject_unknown_keys();
      rule.from_history = w;
    }
    rule_reader.reject_unknown_keys();
    if (!rule.max_change_pct && !rule.min_change) {
      rule_reader.fail_here(
          fmt::format("a rule needs '{}' and/or '{}'", info->tolerance_key, info->floor_key));
    }
    gate.rules.push_back(std::move(rule));
  }
  add_service_rules(gate, c);
  sort_rules(gate);
  r->reject_unknown_keys();
  return gate;
}

}  // namespace memgate::scenario_parts
