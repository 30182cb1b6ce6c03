#include "core/gate/gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/gate/gate_parts.hpp"
#include "core/gate/reference.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/metrics/run_metrics.hpp"
#include "core/model/units.hpp"
#include "core/scenario/scenario_parts.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass:
      return "pass";
    case CheckStatus::regressed:
      return "regressed";
    case CheckStatus::improved:
      return "improved";
    case CheckStatus::inconclusive:
      return "inconclusive";
    case CheckStatus::warning:
      return "warning";
    case CheckStatus::unjudged:
      return "unjudged";
    case CheckStatus::no_baseline:
      return "no-baseline";
    case CheckStatus::no_data:
      return "no-data";
  }
  return "?";
}

const char* to_string(VerdictStatus s) {
  switch (s) {
    case VerdictStatus::pass:
      return "pass";
    case VerdictStatus::regressed:
      return "regressed";
    case VerdictStatus::improved:
      return "improved";
    case VerdictStatus::no_baseline:
      return "no-baseline";
    case VerdictStatus::stale_baseline:
      return "stale-baseline";
    case VerdictStatus::inconclusive:
      return "inconclusive";
  }
  return "?";
}

namespace gate_parts {

std::string show_change(const MetricInfo& info, double change) {
  return (change >= 0 ? "+" : "-") + format_metric(info.name, std::fabs(change));
}

std::string rule_limits(const MetricInfo& info, const GateRule& rule) {
  const char* sign = info.direction == Direction::lower_is_better ? "+" : "-";
  std::vector<std::string> limits;
  if (rule.max_change_pct) limits.push_back(fmt::format("{}{:g}%", sign, *rule.max_change_pct));
  if (rule.min_change) limits.push_back(sign + format_metric(info.name, *rule.min_change));
  return fmt::format("{}", fmt::join(limits, " and "));
}

bool exceeds_rule(const GateRule& rule, double worse_by, double base) {
  const double pct = base != 0 ? worse_by / std::fabs(base) * 100
                               : (worse_by > 0 ? std::numeric_limits<double>::infinity() : 0);
  const bool tolerance = !rule.max_change_pct || pct > *rule.max_change_pct;
  const bool floor = !rule.min_change || worse_by > *rule.min_change;
  return tolerance && floor && worse_by > 0;
}

}  // namespace gate_parts

namespace {

using gate_parts::show_change;

std::string show(const MetricInfo& info, double value) {
  return format_metric(info.name, value);
}

// A check with nothing to compare: no current value, or none in the baseline.
Check unmeasured(const std::string& metric, CheckStatus status, std::optional<double> current,
                 std::string reason) {
  Check c;
  c.metric = metric;
  c.status = status;
  c.current = current;
  c.reason = std::move(reason);
  return c;
}

// A timing change against a single sitting, by less than the hard factor, is not claimed.
void hold_provisional(const MetricInfo& info, const GateSpec& spec, Check& c) {
  if (c.status != CheckStatus::regressed && c.status != CheckStatus::improved) return;
  const bool lower = info.direction == Direction::lower_is_better;
  const double worse_ratio = lower ? *c.current / *c.baseline : *c.baseline / *c.current;
  const double factor = c.status == CheckStatus::regressed ? worse_ratio : 1 / worse_ratio;
  if (!(factor < spec.single_sitting_hard_factor) || !std::isfinite(factor)) return;
  c.provisional = true;
  c.p_value.reset();
  if (c.status == CheckStatus::regressed) {
    c.status = CheckStatus::inconclusive;
    c.reason += fmt::format(
        "; but the baseline is a single sitting, provisional for timing: a regression needs "
        "{:g}x (gate.single_sitting_hard_factor) until sittings are added",
        spec.single_sitting_hard_factor);
  } else {
    c.status = CheckStatus::pass;
    c.reason += "; not claimed: the baseline is a single sitting, provisional for timing";
  }
}

Check compare(const MetricInfo& info, const GateRule& rule, const Reference& ref,
              const std::vector<double>& current, bool same_machine) {
  const bool lower = info.direction == Direction::lower_is_better;
  const MetricSeries& base = ref.series;
  Check c;
  c.metric = rule.metric;
  c.baseline = base.median;
  c.current = *stats::median(current);
  c.change = *c.current - base.median;
  if (base.median != 0) c.change_pct = *c.change / std::fabs(base.median) * 100;
  c.threshold = fmt::format("{} beyond {}", gate_parts::rule_limits(info, rule), ref.band);

  // Both directions with one test: `worse` > 0 is a change for the worse.
  const auto judge = [&](double direction) {
    const double delta = direction * (lower ? *c.change : -*c.change);
    // "worse" for lower-is-better means above the band; "better" means below it.
    const bool up = (direction > 0) == lower;
    const bool beyond_band = up ? *c.current > ref.high : *c.current < ref.low;
    const bool exceeds = gate_parts::exceeds_rule(rule, delta, base.median);
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
  const std::string moved =
      fmt::format("{} ({})", show_change(info, *c.change),
                  c.change_pct ? fmt::format("{:+.1f}%", *c.change_pct) : std::string("from 0"));
  if (worse) {
    c.p_value = worse_p;
    if (is_speed_dependent_metric(info.name) && !same_machine) {
      c.status = CheckStatus::warning;
      c.reason = worse_outside ? fmt::format(
                                     "{}: worse, but measured on another machine class than the "
                                     "baseline, so only a warning",
                                     moved)
                               : fmt::format(
                                     "{}: worse within the noise, on another machine class than "
                                     "the baseline: only a warning",
                                     moved);
    } else if (!worse_outside && ref.spans_sittings) {
      c.status = CheckStatus::pass;
      c.reason = fmt::format("{}: beyond the tolerance, but within {}: the drift seen so far",
                             moved, ref.band);
    } else {
      c.status = worse_outside ? CheckStatus::regressed : CheckStatus::inconclusive;
      c.reason =
          worse_outside
              ? fmt::format("{}: beyond the tolerance and the baseline's noise", moved)
              : fmt::format("{}: beyond the tolerance, but within the baseline's noise", moved);
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

}  // namespace

Check gate_parts::check_budget(const MetricInfo& info, const GateBudget& budget,
                               const std::vector<double>& current) {
  const bool lower = info.direction == Direction::lower_is_better;
  Check c;
  c.metric = budget.metric;
  c.budget = true;
  c.baseline = budget.limit;
  c.threshold =
      fmt::format("budget: {} {}", lower ? "at most" : "at least", show(info, budget.limit));
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
  c.reason =
      fmt::format("{} of its runs: {} is {} the budget", lower ? "the highest" : "the lowest",
                  show(info, *c.current), over ? (lower ? "over" : "under") : "within");
  return c;
}

namespace {

int rank(CheckStatus s) {
  switch (s) {
    case CheckStatus::regressed:
      return 0;
    case CheckStatus::inconclusive:
      return 1;
    case CheckStatus::no_data:
      return 2;
    case CheckStatus::no_baseline:
      return 3;
    case CheckStatus::warning:
      return 4;
    case CheckStatus::unjudged:
      return 5;
    case CheckStatus::improved:
      return 6;
    case CheckStatus::pass:
      return 7;
  }
  return 8;
}

// Why a check of `metric` cannot be judged on this measurement, or nothing.
struct Unjudged {
  std::optional<std::string> speed;       // for speed-dependent metrics
  std::optional<std::string> contention;  // for wall-clock metrics
  std::optional<std::string> why(const std::string& metric) const {
    const std::string name = split_service_metric(metric) ? "" : metric;
    if (speed && is_speed_dependent_metric(name)) return speed;
    if (contention && is_wall_clock_metric(name)) return contention;
    return std::nullopt;
  }
};

}  // namespace

std::optional<double> environment_speed(const nlohmann::json& environment) {
  const auto it = environment.find(kSpeedKey);
  if (it == environment.end() || !it->is_number()) return std::nullopt;
  const double ms = it->get<double>();
  return ms > 0 && std::isfinite(ms) ? std::optional(ms) : std::nullopt;
}

namespace {

// True when the gate has a rule or budget on a metric for which `pick` holds (a service's
// metrics are memory: never).
template <typename Pick>
bool gates_any(const GateSpec& spec, Pick&& pick) {
  const auto named = [&](const std::string& m) { return !split_service_metric(m) && pick(m); };
  return std::any_of(spec.rules.begin(), spec.rules.end(),
                     [&](const GateRule& r) { return named(r.metric); }) ||
         std::any_of(spec.budgets.begin(), spec.budgets.end(),
                     [&](const GateBudget& b) { return named(b.metric); });
}

}  // namespace

bool gates_timing(const GateSpec& spec) {
  return gates_any(spec, [](const std::string& m) { return is_speed_dependent_metric(m); });
}

bool reads_history(const GateSpec& spec) {
  return std::any_of(spec.rules.begin(), spec.rules.end(),
                     [](const GateRule& r) { return r.from_history.has_value(); });
}

namespace {

// The notes say why timing checks are not judged only when the gate has timing checks.
Unjudged unjudged_reasons(const GateInputs& in, const Baseline* base, Verdict& v) {
  Unjudged u;
  const GateSpec& spec = *in.spec;
  const bool wall_clock =
      gates_any(spec, [](const std::string& m) { return is_wall_clock_metric(m); });
  const bool speed = gates_timing(spec);
  if (in.contention_pct && *in.contention_pct > spec.max_contention_pct && wall_clock) {
    u.contention = fmt::format(
        "other processes took {:.1f}% of the CPU in the load phase, more "
        "than gate.max_contention_pct ({:g}%)",
        *in.contention_pct, spec.max_contention_pct);
    v.notes.push_back(fmt::format("throughput and latency are not judged: {}", *u.contention));
  }
  if (!speed || !base) return u;
  // The sittings of a speed like this host's are compared with (reference.hpp); none: no judgement.
  const std::vector<Sitting> sittings = sittings_of(*base);
  std::optional<double> closest_ms;
  for (const Sitting& s : sittings) {
    if (s.speed_ms && in.speed_ms &&
        (!closest_ms ||
         std::fabs(*s.speed_ms - *in.speed_ms) < std::fabs(*closest_ms - *in.speed_ms))) {
      closest_ms = s.speed_ms;
    }
  }
  if (closest_ms && *in.speed_ms > 0 &&
      similar_sittings(sittings, in.speed_ms, spec.max_speed_diff_pct).empty()) {
    u.speed = fmt::format(
        "baseline host 1.00, this host {:.2f} (reference workload {:.1f} ms "
        "there, {:.1f} ms here): more than gate.max_speed_diff_pct ({:g}%) "
        "apart",
        *closest_ms / *in.speed_ms, *closest_ms, *in.speed_ms, spec.max_speed_diff_pct);
    if (sittings.size() > 1) {
      *u.speed += fmt::format(" (the closest of its {} sittings)", sittings.size());
    }
    v.notes.push_back(
        fmt::format("throughput, latency and CPU per operation are not judged: {}", *u.speed));
  } else if (!closest_ms && !environment_speed(base->environment)) {
    v.notes.push_back(
        "the baseline has no speed index (made by an older memgate): remake it to "
        "have timing checks judged against this host's speed");
  }
  return u;
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
        "the baseline was measured on another machine class ({}); throughput, latency and CPU "
        "per operation checks only warn",
        cpu_model_of(base->environment)));
  }
  if (base && !stale && base->repetitions < 2) {
    v.notes.push_back("the baseline has a single repetition: its noise is unknown");
  }
  const auto values_of = [&](const std::string& metric) -> const std::vector<double>& {
    static const std::vector<double> kNone;
    const auto it = in.current.find(metric);
    return it == in.current.end() ? kNone : it->second;
  };
  const Unjudged unjudged = unjudged_reasons(in, !stale ? base : nullptr, v);
  if (base && !stale) {
    for (const GateRule& rule : spec.rules) {
      const MetricInfo& info = *find_metric(rule.metric);
      const auto& current = values_of(rule.metric);
      const auto reference = reference_for(rule, in, *base);
      if (current.empty()) {
        // A one-shot command's growth is omitted over too few samples (run_metrics.hpp).
        const std::string why =
            rule.metric == "growth_bytes_per_min"
                ? fmt::format(
                      "no valid run measured it (a command's growth needs {} samples "
                      "after its warm-up: a longer run or a shorter interval)",
                      kOneShotGrowthMinSamples)
                : "no valid run measured it";
        v.checks.push_back(unmeasured(rule.metric, CheckStatus::no_data, std::nullopt, why));
      } else if (!reference) {
        v.checks.push_back(unmeasured(rule.metric, CheckStatus::no_baseline, stats::median(current),
                                      "the baseline has no value for it: refresh the baseline"));
      } else {
        Check c = compare(info, rule, *reference, current, v.same_machine);
        if (reference->provisional) hold_provisional(info, spec, c);
        if (!reference->note.empty() &&
            std::find(v.notes.begin(), v.notes.end(), reference->note) == v.notes.end()) {
          v.notes.push_back(reference->note);
        }
        v.checks.push_back(std::move(c));
      }
    }
  }
  if (std::any_of(v.checks.begin(), v.checks.end(), [](const Check& c) {
        return c.provisional && c.status == CheckStatus::inconclusive;
      })) {
    v.notes.push_back(
        "timing rules rest on a baseline of a single sitting: add sittings with `memgate baseline "
        "--append` later (or make it with --sittings 3 --gap-s 1800)");
  }
  for (const GateBudget& budget : spec.budgets) {
    v.checks.push_back(
        gate_parts::check_budget(*find_metric(budget.metric), budget, values_of(budget.metric)));
  }
  for (const PerUnitRule& rule : spec.per_unit) {
    const auto now = std::find_if(in.per_unit.begin(), in.per_unit.end(),
                                  [&](const PerUnit& p) { return p.metric == rule.metric; });
    for (Check& c : gate_parts::check_per_unit(rule, now == in.per_unit.end() ? nullptr : &*now,
                                               !stale ? base : nullptr)) {
      v.checks.push_back(std::move(c));
    }
  }
  for (Check& c : v.checks) {
    if (c.status == CheckStatus::no_data || c.status == CheckStatus::no_baseline) continue;
    // A budget is absolute: the host's speed does not excuse it; a busy machine does.
    const auto why = c.budget
                         ? (is_wall_clock_metric(c.metric) ? unjudged.contention : std::nullopt)
                         : unjudged.why(c.metric);
    if (!why) continue;
    c.status = CheckStatus::unjudged;
    c.reason = *why;
    c.p_value.reset();
  }
  const bool compares =
      !spec.rules.empty() ||
      std::any_of(spec.per_unit.begin(), spec.per_unit.end(),
                  [](const PerUnitRule& r) { return r.max_change_pct || r.min_change; });
  gate_parts::settle(v, !base, stale, compares);
  return v;
}

void gate_parts::settle(Verdict& v, bool no_baseline, bool stale, bool has_rules) {
  std::stable_sort(v.checks.begin(), v.checks.end(),
                   [](const Check& a, const Check& b) { return rank(a.status) < rank(b.status); });
  const auto any = [&](CheckStatus s) {
    return std::any_of(v.checks.begin(), v.checks.end(),
                       [&](const Check& c) { return c.status == s; });
  };
  if (any(CheckStatus::regressed)) {
    v.status = VerdictStatus::regressed;
  } else if (no_baseline && has_rules) {
    v.status = VerdictStatus::no_baseline;  // budgets alone need none
  } else if (stale && has_rules) {
    v.status = VerdictStatus::stale_baseline;
  } else if (any(CheckStatus::inconclusive) || any(CheckStatus::no_data)) {
    v.status = VerdictStatus::inconclusive;
  } else if (any(CheckStatus::no_baseline)) {
    v.status = VerdictStatus::no_baseline;
  } else if (!v.checks.empty() && std::all_of(v.checks.begin(), v.checks.end(), [](const Check& c) {
               return c.status == CheckStatus::unjudged;
             })) {
    v.status = VerdictStatus::inconclusive;  // nothing could be judged: no verdict
    v.notes.push_back("no check could be judged on this host or this busy machine");
  } else if (any(CheckStatus::improved)) {
    v.status = VerdictStatus::improved;
  } else {
    v.status = VerdictStatus::pass;
  }
}

GateInputs gate_inputs(const Report& report, const GateSpec& gate, const Baseline* baseline,
                       const std::vector<HistoryEntry>& history) {
  GateInputs in;
  in.spec = &gate;
  in.baseline = baseline;
  in.scenario_hash = report.scenario_hash;
  in.fingerprint = machine_fingerprint(report.environment);
  in.current = metric_values(report.runs);
  if (!report.sweep.is_null()) in.per_unit = per_unit_figures(report.runs);
  in.contention_pct = report.summary.contention_pct;
  in.speed_ms = environment_speed(report.environment);
  in.history = passing_history(history, in.scenario_hash, in.fingerprint);
  return in;
}

Verdict gate_report(const Report& report, const GateSpec& gate, const Baseline* baseline,
                    const std::vector<HistoryEntry>& history) {
  return evaluate_gate(gate_inputs(report, gate, baseline, history));
}

bool needs_rerun(const Verdict& verdict) {
  return verdict.status == VerdictStatus::inconclusive &&
         std::any_of(verdict.checks.begin(), verdict.checks.end(), [](const Check& c) {
           return c.status == CheckStatus::inconclusive && !c.provisional;
         });
}

ExitCode exit_code_for(const Verdict& verdict) {
  switch (verdict.status) {
    case VerdictStatus::pass:
    case VerdictStatus::improved:
      return ExitCode::ok;
    case VerdictStatus::regressed:
      return ExitCode::regressed;
    default:
      return ExitCode::no_verdict;
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
    if (c.provisional) checks.back()["provisional"] = true;
  }
  return {{"status", to_string(v.status)},
          {"checks", checks},
          {"notes", v.notes},
          {"same_machine", v.same_machine},
          {"current_runs", v.current_runs}};
}

nlohmann::json gate_to_json(const GateSpec& gate) {
  nlohmann::json out = {{"noise_mad_k", gate.noise_mad_k},
                        {"max_reruns", gate.max_reruns},
                        {"max_contention_pct", gate.max_contention_pct},
                        {"max_speed_diff_pct", gate.max_speed_diff_pct},
                        {"single_sitting_hard_factor", gate.single_sitting_hard_factor}};
  for (const GateRule& rule : gate.rules) {
    const MetricInfo& info = *find_metric(rule.metric);
    nlohmann::json r = nlohmann::json::object();
    if (rule.max_change_pct) r[info.tolerance_key] = *rule.max_change_pct;
    if (rule.min_change) r[info.floor_key] = *rule.min_change;
    if (rule.from_history) {
      r["from_history"] = {{"last", rule.from_history->last},
                           {"min_entries", rule.from_history->min_entries}};
    }
    out[rule.metric] = r;
  }
  for (const PerUnitRule& rule : gate.per_unit) {
    nlohmann::json r = nlohmann::json::object();
    if (rule.max) r["max"] = *rule.max;
    if (rule.max_change_pct) r["max_increase_pct"] = *rule.max_change_pct;
    if (rule.min_change) r["min_increase_bytes"] = *rule.min_change;
    out[per_unit_metric_name(rule.metric)] = r;
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
