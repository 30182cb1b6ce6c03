#include "core/gate/gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/model/metrics.hpp"
#include "core/model/units.hpp"
#include "core/scenario/scenario_parts.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::regressed: return "regressed";
    case CheckStatus::improved: return "improved";
    case CheckStatus::inconclusive: return "inconclusive";
    case CheckStatus::warning: return "warning";
    case CheckStatus::no_baseline: return "no-baseline";
    case CheckStatus::no_data: return "no-data";
  }
  return "?";
}

const char* to_string(VerdictStatus s) {
  switch (s) {
    case VerdictStatus::pass: return "pass";
    case VerdictStatus::regressed: return "regressed";
    case VerdictStatus::improved: return "improved";
    case VerdictStatus::no_baseline: return "no-baseline";
    case VerdictStatus::stale_baseline: return "stale-baseline";
    case VerdictStatus::inconclusive: return "inconclusive";
  }
  return "?";
}

namespace {

std::string show(const MetricInfo& info, double value) { return format_metric(info.name, value); }

std::string show_change(const MetricInfo& info, double change) {
  return (change >= 0 ? "+" : "-") + show(info, std::fabs(change));
}

// Speed depends on the machine; memory much less so.
bool machine_dependent(const MetricInfo& info) {
  return info.name == "throughput_per_s" || info.name.rfind("latency_", 0) == 0;
}

Check compare(const MetricInfo& info, const GateRule& rule, const MetricSeries& base,
              const std::vector<double>& current, double k, bool same_machine) {
  const bool lower = info.direction == Direction::lower_is_better;
  Check c;
  c.metric = rule.metric;
  c.baseline = base.median;
  c.current = *stats::median(current);
  c.change = *c.current - base.median;
  if (base.median != 0) c.change_pct = *c.change / std::fabs(base.median) * 100;
  const char* sign = lower ? "+" : "-";
  std::vector<std::string> limits;
  if (rule.max_change_pct) limits.push_back(fmt::format("{}{:g}%", sign, *rule.max_change_pct));
  if (rule.min_change) limits.push_back(sign + show(info, *rule.min_change));
  c.threshold = fmt::format("{} beyond the baseline's {} {:g} MAD", fmt::join(limits, " and "),
                            lower ? "max +" : "min -", k);

  // Both directions with one test: `worse` > 0 is a change for the worse.
  const auto judge = [&](double direction) {
    const double delta = direction * (lower ? *c.change : -*c.change);
    const double pct = base.median != 0 ? delta / std::fabs(base.median) * 100
                                        : (delta > 0 ? std::numeric_limits<double>::infinity() : 0);
    const bool tolerance = !rule.max_change_pct || pct > *rule.max_change_pct;
    const bool floor = !rule.min_change || delta > *rule.min_change;
    // "worse" for lower-is-better means above the band; "better" means below it.
    const bool up = (direction > 0) == lower;
    const bool beyond_band = up ? *c.current > base.max + k * base.mad
                                : *c.current < base.min - k * base.mad;
    const bool exceeds = tolerance && floor && delta > 0;
    // The rank test only matters for a change that exceeds the rule (at most one direction).
    std::optional<double> p;
    if (exceeds && current.size() >= kRankTestMinRuns && base.values.size() >= kRankTestMinRuns) {
      p = up ? stats::mann_whitney_greater_p(current, base.values)
             : stats::mann_whitney_greater_p(base.values, current);
    }
    const bool outside_noise = beyond_band && (!p || *p <= kRankTestAlpha);
    return std::tuple{exceeds, outside_noise, p};
  };

  const auto [worse, worse_outside, worse_p] = judge(+1);
  const auto [better, better_outside, better_p] = judge(-1);
  const std::string moved = fmt::format("{} ({})", show_change(info, *c.change),
                                        c.change_pct ? fmt::format("{:+.1f}%", *c.change_pct)
                                                     : std::string("from 0"));
  if (worse) {
    c.p_value = worse_p;
    if (machine_dependent(info) && !same_machine) {
      c.status = CheckStatus::warning;
      c.reason = worse_outside
                     ? fmt::format("{}: worse, but measured on another machine class than the "
                                   "baseline, so only a warning", moved)
                     : fmt::format("{}: worse within the noise, on another machine class than "
                                   "the baseline: only a warning", moved);
    } else {
      c.status = worse_outside ? CheckStatus::regressed : CheckStatus::inconclusive;
      c.reason = worse_outside
                     ? fmt::format("{}: beyond the tolerance and the baseline's noise", moved)
                     : fmt::format("{}: beyond the tolerance, but within the baseline's noise",
                                   moved);
    }
  } else if (better && better_outside) {
    c.p_value = better_p;
    c.status = CheckStatus::improved;
    c.reason = fmt::format("{}: better beyond the tolerance and the noise", moved);
  } else {
    c.status = CheckStatus::pass;
    c.reason = fmt::format("{}: within the tolerance", moved);
  }
  return c;
}

Check check_budget(const MetricInfo& info, const GateBudget& budget,
                   const std::vector<double>& current) {
  const bool lower = info.direction == Direction::lower_is_better;
  Check c;
  c.metric = budget.metric;
  c.budget = true;
  c.baseline = budget.limit;
  c.threshold = fmt::format("budget: {} {}", lower ? "at most" : "at least", show(info, budget.limit));
  if (current.empty()) {
    c.status = CheckStatus::no_data;
    c.reason = "no valid run measured it";
    return c;
  }
  // A limit holds for every run: the worst run is compared, not the median.
  c.current = lower ? *std::max_element(current.begin(), current.end())
                    : *std::min_element(current.begin(), current.end());
  c.change = *c.current - budget.limit;
  const bool over = lower ? *c.current > budget.limit : *c.current < budget.limit;
  c.status = over ? CheckStatus::regressed : CheckStatus::pass;
  c.reason = fmt::format("{} of its runs: {} is {} the budget", lower ? "the highest" : "the lowest",
                         show(info, *c.current), over ? (lower ? "over" : "under") : "within");
  return c;
}

int rank(CheckStatus s) {
  switch (s) {
    case CheckStatus::regressed: return 0;
    case CheckStatus::inconclusive: return 1;
    case CheckStatus::no_data: return 2;
    case CheckStatus::no_baseline: return 3;
    case CheckStatus::warning: return 4;
    case CheckStatus::improved: return 5;
    case CheckStatus::pass: return 6;
  }
  return 7;
}

}  // namespace

Verdict evaluate_gate(const GateInputs& in) {
  Verdict v;
  const GateSpec& spec = *in.spec;
  for (const auto& [name, values] : in.current) {
    v.current_runs = std::max(v.current_runs, static_cast<int>(values.size()));
  }
  const Baseline* base = in.baseline;
  const bool stale = base && base->scenario_hash != in.scenario_hash;
  v.same_machine = !base || base->fingerprint == in.fingerprint;
  if (base && !v.same_machine) {
    v.notes.push_back(fmt::format(
        "the baseline was measured on another machine class ({}); throughput and latency "
        "checks only warn", cpu_model_of(base->environment)));
  }
  if (base && !stale && base->repetitions < 2) {
    v.notes.push_back("the baseline has a single repetition: its noise is unknown");
  }
  const auto values_of = [&](const std::string& metric) -> const std::vector<double>& {
    static const std::vector<double> kNone;
    const auto it = in.current.find(metric);
    return it == in.current.end() ? kNone : it->second;
  };
  if (base && !stale) {
    for (const GateRule& rule : spec.rules) {
      const MetricInfo& info = *find_metric(rule.metric);
      const auto& current = values_of(rule.metric);
      const auto series = base->metrics.find(rule.metric);
      if (current.empty()) {
        v.checks.push_back({rule.metric, CheckStatus::no_data, false, {}, {}, {}, {}, {}, {},
                            "no valid run measured it"});
      } else if (series == base->metrics.end()) {
        v.checks.push_back({rule.metric, CheckStatus::no_baseline, false, {},
                            *stats::median(current), {}, {}, {}, {},
                            "the baseline has no value for it: refresh the baseline"});
      } else {
        v.checks.push_back(compare(info, rule, series->second, current, spec.noise_mad_k,
                                   v.same_machine));
      }
    }
  }
  for (const GateBudget& budget : spec.budgets) {
    v.checks.push_back(check_budget(*find_metric(budget.metric), budget, values_of(budget.metric)));
  }
  std::stable_sort(v.checks.begin(), v.checks.end(),
                   [](const Check& a, const Check& b) { return rank(a.status) < rank(b.status); });

  const auto any = [&](CheckStatus s) {
    return std::any_of(v.checks.begin(), v.checks.end(), [&](const Check& c) { return c.status == s; });
  };
  if (any(CheckStatus::regressed)) {
    v.status = VerdictStatus::regressed;
  } else if (!base && !spec.rules.empty()) {
    v.status = VerdictStatus::no_baseline;  // budgets alone need none
  } else if (stale && !spec.rules.empty()) {
    v.status = VerdictStatus::stale_baseline;
  } else if (any(CheckStatus::inconclusive) || any(CheckStatus::no_data)) {
    v.status = VerdictStatus::inconclusive;
  } else if (any(CheckStatus::no_baseline)) {
    v.status = VerdictStatus::no_baseline;
  } else if (any(CheckStatus::improved)) {
    v.status = VerdictStatus::improved;
  } else {
    v.status = VerdictStatus::pass;
  }
  return v;
}

bool needs_rerun(const Verdict& verdict) {
  return verdict.status == VerdictStatus::inconclusive &&
         std::any_of(verdict.checks.begin(), verdict.checks.end(),
                     [](const Check& c) { return c.status == CheckStatus::inconclusive; });
}

ExitCode exit_code_for(const Verdict& verdict) {
  switch (verdict.status) {
    case VerdictStatus::pass:
    case VerdictStatus::improved: return ExitCode::ok;
    case VerdictStatus::regressed: return ExitCode::regressed;
    default: return ExitCode::no_verdict;
  }
}

nlohmann::json verdict_to_json(const Verdict& v) {
  nlohmann::json checks = nlohmann::json::array();
  const auto number = [](const std::optional<double>& x) -> nlohmann::json {
    if (!x || !std::isfinite(*x)) return nullptr;
    return std::round(*x * 1000) / 1000;
  };
  for (const Check& c : v.checks) {
    checks.push_back({{"metric", c.metric},
                      {"status", to_string(c.status)},
                      {"budget", c.budget},
                      {"baseline", number(c.baseline)},
                      {"current", number(c.current)},
                      {"change", number(c.change)},
                      {"change_pct", number(c.change_pct)},
                      {"p_value", c.p_value ? nlohmann::json(*c.p_value) : nlohmann::json()},
                      {"threshold", c.threshold},
                      {"reason", c.reason}});
  }
  return {{"status", to_string(v.status)},
          {"checks", checks},
          {"notes", v.notes},
          {"same_machine", v.same_machine},
          {"current_runs", v.current_runs}};
}

nlohmann::json gate_to_json(const GateSpec& gate) {
  nlohmann::json out = {{"noise_mad_k", gate.noise_mad_k}, {"max_reruns", gate.max_reruns}};
  for (const GateRule& rule : gate.rules) {
    const MetricInfo& info = *find_metric(rule.metric);
    nlohmann::json r = nlohmann::json::object();
    if (rule.max_change_pct) r[info.tolerance_key] = *rule.max_change_pct;
    if (rule.min_change) r[info.floor_key] = *rule.min_change;
    out[rule.metric] = r;
  }
  if (!gate.budgets.empty()) {
    nlohmann::json budgets = nlohmann::json::object();
    for (const GateBudget& b : gate.budgets) budgets[b.metric] = b.limit;
    out["budgets"] = budgets;
  }
  return out;
}

GateSpec gate_from_json(const nlohmann::json& document, const std::string& file,
                        const std::string& path) {
  // The rules were validated against the scenario's driver and phases when it loaded; here only
  // their form is checked.
  return scenario_parts::parse_gate(ObjectReader(document, path, file), {});
}

}  // namespace memgate
