// The checks of a sweep's per-unit rules (gate.per_unit): the figure is a slope with a 95%
// interval, and the interval plays the part the baseline's noise plays for other metrics: a
// figure past its rule regresses only when its whole interval is past it; past it with the
// interval reaching back is "inconclusive" (a rerun adds rounds and narrows the interval).

#include <fmt/format.h>

#include <cmath>

#include "core/gate/gate_parts.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/model/units.hpp"

namespace memgate::gate_parts {

namespace {

std::string show(const std::string& metric, double value) {
  return format_metric(metric, value);
}

std::string show_interval(const stats::SlopeFit& fit) {
  if (!fit.ci) return "no 95% interval (too few runs)";
  return fmt::format("95% CI {} to {}", format_bytes_fine(fit.ci->first),
                     format_bytes_fine(fit.ci->second));
}

GateRule as_rule(const PerUnitRule& rule) {
  return {per_unit_metric_name(rule.metric), rule.max_change_pct, rule.min_change, std::nullopt};
}

Check check_max(const PerUnitRule& rule, const PerUnit& now) {
  const std::string metric = per_unit_metric_name(rule.metric);
  Check c;
  c.metric = metric;
  c.budget = true;
  c.baseline = *rule.max;
  c.current = now.fit.slope;
  c.change = now.fit.slope - *rule.max;
  c.threshold = fmt::format("at most {}", show(metric, *rule.max));
  const std::string figure =
      fmt::format("{}, {}", show(metric, now.fit.slope), show_interval(now.fit));
  if (now.fit.slope <= *rule.max) {
    c.status = CheckStatus::pass;
    c.reason = fmt::format("{}: within the limit", figure);
  } else if (now.fit.ci && now.fit.ci->first > *rule.max) {
    c.status = CheckStatus::regressed;
    c.reason = fmt::format("{}: over the limit, its whole interval too", figure);
  } else {
    c.status = CheckStatus::inconclusive;
    c.reason = fmt::format("{}: over the limit, but its interval reaches below it", figure);
  }
  return c;
}

Check check_increase(const PerUnitRule& rule, const PerUnit& now, const stats::SlopeFit& base) {
  const std::string metric = per_unit_metric_name(rule.metric);
  const GateRule as = as_rule(rule);
  const MetricInfo& info = *find_metric(rule.metric);
  Check c;
  c.metric = metric;
  c.baseline = base.slope;
  c.current = now.fit.slope;
  c.change = now.fit.slope - base.slope;
  // A percentage of a figure whose interval holds 0 would mean nothing (+11300% of 5 B).
  const bool base_not_zero = base.ci ? base.ci->first > 0 || base.ci->second < 0 : base.slope != 0;
  if (base_not_zero) c.change_pct = *c.change / std::fabs(base.slope) * 100;
  c.threshold =
      fmt::format("{} per unit, beyond the baseline's 95% interval", rule_limits(info, as));
  // Without an interval on a side, that side's figure alone.
  const double base_low = base.ci ? base.ci->first : base.slope;
  const double base_high = base.ci ? base.ci->second : base.slope;
  const std::string moved = fmt::format("{} -> {} ({})", show(metric, base.slope),
                                        show(metric, now.fit.slope), show_interval(now.fit));
  if (exceeds_rule(as, *c.change, base.slope)) {
    const bool apart = now.fit.ci && now.fit.ci->first > base_high;
    c.status = apart ? CheckStatus::regressed : CheckStatus::inconclusive;
    c.reason = apart ? fmt::format("{}: beyond the tolerance, the intervals apart", moved)
                     : fmt::format("{}: beyond the tolerance, but the intervals overlap", moved);
  } else if (exceeds_rule(as, -*c.change, base.slope) && now.fit.ci &&
             now.fit.ci->second < base_low) {
    c.status = CheckStatus::improved;
    c.reason = fmt::format("{}: better beyond the tolerance, the intervals apart", moved);
  } else {
    c.status = CheckStatus::pass;
    c.reason = fmt::format("{}: within the tolerance", moved);
  }
  return c;
}

}  // namespace

std::vector<Check> check_per_unit(const PerUnitRule& rule, const PerUnit* now,
                                  const Baseline* baseline) {
  const std::string metric = per_unit_metric_name(rule.metric);
  std::vector<Check> out;
  const bool compare = (rule.max_change_pct || rule.min_change) && baseline;
  if (!now) {
    Check c;
    c.metric = metric;
    c.status = CheckStatus::no_data;
    c.reason = "the sweep gave no figure: fewer than two of its values were measured";
    if (rule.max || compare) out.push_back(c);
    return out;
  }
  if (rule.max) out.push_back(check_max(rule, *now));
  if (compare) {
    const auto base = baseline->per_unit.find(rule.metric);
    if (base == baseline->per_unit.end()) {
      Check c;
      c.metric = metric;
      c.status = CheckStatus::no_baseline;
      c.current = now->fit.slope;
      c.reason = "the baseline has no per-unit figure for it: refresh the baseline";
      out.push_back(c);
    } else {
      out.push_back(check_increase(rule, *now, base->second));
    }
  }
  return out;
}

bool per_unit_clear(const PerUnitRule& rule, const Check& check, const PerUnit* now,
                    const Baseline* baseline) {
  if (check.status == CheckStatus::regressed || check.status == CheckStatus::improved) return true;
  if (check.status != CheckStatus::pass || !now || !now->fit.ci) return false;
  const double high = now->fit.ci->second;  // the whole interval within the rule: settled
  if (check.budget) return rule.max && high <= *rule.max;
  const auto base = baseline ? baseline->per_unit.find(rule.metric)
                             : std::map<std::string, stats::SlopeFit>::const_iterator();
  if (!baseline || base == baseline->per_unit.end()) return false;
  return !exceeds_rule(as_rule(rule), high - base->second.slope, base->second.slope);
}

}  // namespace memgate::gate_parts
