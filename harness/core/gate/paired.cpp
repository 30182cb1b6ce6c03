#include "core/gate/paired.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/gate/gate_parts.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

namespace {

const std::vector<double>& values_of(const std::map<std::string, std::vector<double>>& values,
                                     const std::string& metric) {
  static const std::vector<double> kNone;
  const auto it = values.find(metric);
  return it == values.end() ? kNone : it->second;
}

Check compare_pairs(const MetricInfo& info, const GateRule& rule, const std::vector<double>& a,
                    const std::vector<double>& b) {
  const bool lower = info.direction == Direction::lower_is_better;
  Check c;
  c.metric = rule.metric;
  c.threshold = fmt::format("{} on the median paired difference, signed-rank p <= {:g}",
                            gate_parts::rule_limits(info, rule), kRankTestAlpha);
  const std::size_t n = std::min(a.size(), b.size());
  if (n == 0) {
    c.status = CheckStatus::no_data;
    c.reason = "no valid pair measured it";
    return c;
  }
  std::vector<double> worse(n), better(n), diff(n);
  for (std::size_t i = 0; i < n; ++i) {
    diff[i] = b[i] - a[i];
    worse[i] = lower ? diff[i] : -diff[i];
    better[i] = -worse[i];
  }
  c.baseline = *stats::median(std::vector<double>(a.begin(), a.begin() + static_cast<long>(n)));
  c.current = *stats::median(std::vector<double>(b.begin(), b.begin() + static_cast<long>(n)));
  c.change = *stats::median(diff);
  if (*c.baseline != 0) c.change_pct = *c.change / std::fabs(*c.baseline) * 100;
  const double worse_by = lower ? *c.change : -*c.change;
  const auto b_worse = std::count_if(worse.begin(), worse.end(), [](double d) { return d > 0; });
  const auto b_better = std::count_if(worse.begin(), worse.end(), [](double d) { return d < 0; });
  // The effect (the median paired difference) and the pairs' signs.
  const std::string moved =
      fmt::format("{} ({}) over {} pairs, B worse in {}, better in {}",
                  gate_parts::show_change(info, *c.change),
                  c.change_pct ? fmt::format("{:+.1f}%", *c.change_pct) : std::string("from 0"), n,
                  b_worse, b_better);
  if (gate_parts::exceeds_rule(rule, worse_by, *c.baseline)) {
    c.p_value = stats::wilcoxon_signed_rank_greater_p(worse);
    const bool agreed = *c.p_value <= kRankTestAlpha;
    c.status = agreed ? CheckStatus::regressed : CheckStatus::inconclusive;
    c.reason = agreed ? fmt::format("{}: B is worse beyond the tolerance, pair after pair", moved)
                      : fmt::format("{}: beyond the tolerance, but the pairs disagree (p = {:.3f})",
                                    moved, *c.p_value);
  } else if (const double p_better = stats::wilcoxon_signed_rank_greater_p(better);
             gate_parts::exceeds_rule(rule, -worse_by, *c.baseline) && p_better <= kRankTestAlpha) {
    c.p_value = p_better;
    c.status = CheckStatus::improved;
    c.reason = fmt::format("{}: B is better beyond the tolerance, pair after pair", moved);
  } else {
    c.status = CheckStatus::pass;
    c.reason = fmt::format("{}: within the tolerance", moved);
  }
  return c;
}

}  // namespace

Verdict evaluate_paired(const PairedInputs& in) {
  Verdict v;
  const GateSpec& spec = *in.spec;
  for (const auto& [name, values] : in.b) {
    v.current_runs = std::max(v.current_runs, static_cast<int>(values.size()));
  }
  for (const GateRule& rule : spec.rules) {
    v.checks.push_back(compare_pairs(*find_metric(rule.metric), rule, values_of(in.a, rule.metric),
                                     values_of(in.b, rule.metric)));
  }
  for (const GateBudget& budget : spec.budgets) {
    v.checks.push_back(gate_parts::check_budget(*find_metric(budget.metric), budget,
                                                values_of(in.b, budget.metric)));
  }
  v.notes.push_back("A/B: B judged against A from paired runs on the same machine");
  gate_parts::settle(v, false, false, !spec.rules.empty());
  return v;
}

}  // namespace memgate
