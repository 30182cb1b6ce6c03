#pragma once

// Internal to the gate: the parts that the baseline comparison (gate.cpp) and the A/B comparison
// (paired.cpp) share.

#include <string>
#include <vector>

#include "core/gate/gate.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"

namespace memgate::gate_parts {

// "+2.50 MiB", "-120.0/s": a change in the metric's unit, with its sign.
std::string show_change(const MetricInfo& info, double change);

// "+10% and +4.00 MiB": the rule's tolerance and floor, in the metric's worse direction.
std::string rule_limits(const MetricInfo& info, const GateRule& rule);

// True when a change `worse_by` (> 0: for the worse, in the metric's unit) from `base` exceeds
// both the rule's tolerance and its floor.
bool exceeds_rule(const GateRule& rule, double worse_by, double base);

// An absolute budget over the runs' values (the worst run is compared).
Check check_budget(const MetricInfo& info, const GateBudget& budget,
                   const std::vector<double>& current);

// The checks of a per-unit rule (a sweep's figure, `now`; null when the sweep gave none): its
// maximum (a budget: no baseline needed) and its increase against the baseline's figure (only
// with a baseline that is not stale). See per_unit_gate.cpp.
std::vector<Check> check_per_unit(const PerUnitRule& rule, const PerUnit* now,
                                  const Baseline* baseline);

// For stopping early: the check's answer cannot change with more runs (its whole interval is on
// one side of the rule, or it already regressed or improved).
bool per_unit_clear(const PerUnitRule& rule, const Check& check, const PerUnit* now,
                    const Baseline* baseline);

// Sorts the checks (regressions first) and sets the verdict's status from them.
void settle(Verdict& v, bool no_baseline, bool stale, bool has_rules);

}  // namespace memgate::gate_parts
