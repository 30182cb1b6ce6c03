#include <algorithm>
#include <cmath>

#include "core/gate/gate.hpp"
#include "core/gate/gate_parts.hpp"
#include "core/gate/reference.hpp"
#include "core/metrics/metric_table.hpp"

namespace memgate {

namespace {

constexpr double kFarInside = 0.5;   // of the allowance
constexpr double kFarOutside = 2.0;  // of the allowance
constexpr double kBudgetMargin = 0.1;

const GateRule* rule_of(const GateSpec& spec, const std::string& metric) {
  for (const auto& rule : spec.rules) {
    if (rule.metric == metric) return &rule;
  }
  return nullptr;
}

const GateBudget* budget_of(const GateSpec& spec, const std::string& metric) {
  for (const auto& budget : spec.budgets) {
    if (budget.metric == metric) return &budget;
  }
  return nullptr;
}

bool budget_clear(const MetricInfo& info, const GateBudget& budget,
                  const std::vector<double>& values) {
  const bool lower = info.direction == Direction::lower_is_better;
  const double inside =
      lower ? budget.limit * (1 - kBudgetMargin) : budget.limit * (1 + kBudgetMargin);
  const bool all_inside = std::all_of(values.begin(), values.end(),
                                      [&](double v) { return lower ? v <= inside : v >= inside; });
  const bool all_past = std::all_of(values.begin(), values.end(), [&](double v) {
    return lower ? v > budget.limit : v < budget.limit;
  });
  return !values.empty() && (all_inside || all_past);
}

bool rule_clear(const MetricInfo& info, const GateRule& rule, const Reference& ref,
                const std::vector<double>& values, CheckStatus status) {
  const MetricSeries& base = ref.series;
  const bool lower = info.direction == Direction::lower_is_better;
  const double allowance =
      std::max(rule.max_change_pct ? *rule.max_change_pct / 100 * std::fabs(base.median) : 0.0,
               rule.min_change.value_or(0.0));
  if (values.empty() || allowance <= 0) return false;
  const auto worse_by = [&](double v) { return lower ? v - base.median : base.median - v; };
  const bool far_inside = std::all_of(values.begin(), values.end(), [&](double v) {
    return worse_by(v) <= kFarInside * allowance;
  });
  const bool far_outside =
      status == CheckStatus::regressed && std::all_of(values.begin(), values.end(), [&](double v) {
        const bool beyond_band = lower ? v > ref.high : v < ref.low;
        return worse_by(v) >= kFarOutside * allowance && beyond_band;
      });
  return far_inside || far_outside;
}

}  // namespace

bool answer_is_clear(const GateInputs& in, const Verdict& verdict) {
  if (verdict.status == VerdictStatus::no_baseline ||
      verdict.status == VerdictStatus::stale_baseline) {
    return true;
  }
  for (const Check& c : verdict.checks) {
    if (const auto metric = split_per_unit_metric(c.metric)) {
      const auto rule = std::find_if(in.spec->per_unit.begin(), in.spec->per_unit.end(),
                                     [&](const PerUnitRule& r) { return r.metric == *metric; });
      const auto now = std::find_if(in.per_unit.begin(), in.per_unit.end(),
                                    [&](const PerUnit& p) { return p.metric == *metric; });
      if (rule == in.spec->per_unit.end() ||
          !gate_parts::per_unit_clear(*rule, c, now == in.per_unit.end() ? nullptr : &*now,
                                      in.baseline)) {
        return false;
      }
      continue;
    }
    if (c.status == CheckStatus::unjudged || c.status == CheckStatus::warning) continue;
    if (c.status == CheckStatus::no_data || c.status == CheckStatus::no_baseline ||
        c.status == CheckStatus::inconclusive) {
      return false;
    }
    const MetricInfo& info = *find_metric(c.metric);
    const auto values = in.current.find(c.metric);
    if (values == in.current.end()) return false;
    if (c.budget) {
      const GateBudget* budget = budget_of(*in.spec, c.metric);
      if (!budget || !budget_clear(info, *budget, values->second)) return false;
      continue;
    }
    const GateRule* rule = rule_of(*in.spec, c.metric);
    const auto ref = rule && in.baseline ? reference_for(*rule, in, *in.baseline) : std::nullopt;
    if (!ref || !rule_clear(info, *rule, *ref, values->second, c.status)) return false;
  }
  return true;
}

}  // namespace memgate
