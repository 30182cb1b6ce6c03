#include "core/gate/reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/metrics/metric_table.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

std::vector<const Sitting*> similar_sittings(const std::vector<Sitting>& sittings,
                                             std::optional<double> speed_ms, double max_diff_pct) {
  std::vector<const Sitting*> out;
  for (const Sitting& s : sittings) {
    const bool unknown = !speed_ms || *speed_ms <= 0 || !s.speed_ms || *s.speed_ms <= 0;
    if (unknown || std::fabs(*speed_ms / *s.speed_ms - 1) * 100 <= max_diff_pct) {
      out.push_back(&s);
    }
  }
  return out;
}

namespace {

bool is_timing(const std::string& metric) {
  return !split_service_metric(metric) && is_speed_dependent_metric(metric);
}

void within_band(Reference& ref, double k) {
  std::tie(ref.low, ref.high) = noise_band(ref.series, k);
}

std::optional<Reference> from_history(const GateRule& rule, const GateInputs& in) {
  std::vector<double> values;
  for (auto it = in.history.rbegin();
       it != in.history.rend() && values.size() < static_cast<std::size_t>(rule.from_history->last);
       ++it) {
    const auto v = it->find(rule.metric);
    if (v != it->end()) values.push_back(v->second);
  }
  if (values.size() < static_cast<std::size_t>(rule.from_history->min_entries)) {
    return std::nullopt;
  }
  std::reverse(values.begin(), values.end());  // oldest first, like the history
  Reference ref;
  ref.series = make_series(std::move(values));
  within_band(ref, in.spec->noise_mad_k);
  ref.band = fmt::format("the last {} passing checks' range + {:g} MAD", ref.series.values.size(),
                         in.spec->noise_mad_k);
  ref.spans_sittings = true;
  return ref;
}

std::optional<Reference> from_baseline(const GateRule& rule, const GateInputs& in,
                                       const Baseline& baseline) {
  const double k = in.spec->noise_mad_k;
  const bool lower = find_metric(rule.metric)->direction == Direction::lower_is_better;
  const auto runs = baseline.metrics.find(rule.metric);
  if (runs == baseline.metrics.end()) return std::nullopt;
  const std::vector<Sitting> sittings = sittings_of(baseline);
  std::vector<const Sitting*> all;
  for (const Sitting& s : sittings) {
    if (s.values.count(rule.metric)) all.push_back(&s);
  }
  Reference ref;
  if (!is_timing(rule.metric) || all.size() <= 1) {
    ref.series = runs->second;
    within_band(ref, k);
    ref.band = fmt::format("the baseline's {} {:g} MAD", lower ? "max +" : "min -", k);
    ref.provisional = is_timing(rule.metric);
    return ref;
  }
  // Timing over several sittings: those of a speed like this host's (all, when none is: the
  // check is then not judged, see gate.cpp).
  std::vector<const Sitting*> chosen;
  for (const Sitting* s : similar_sittings(sittings, in.speed_ms, in.spec->max_speed_diff_pct)) {
    if (s->values.count(rule.metric)) chosen.push_back(s);
  }
  if (chosen.empty()) chosen = all;
  if (chosen.size() < all.size()) {
    ref.note = fmt::format(
        "timing compared with {} of the baseline's {} sittings: those within "
        "gate.max_speed_diff_pct ({:g}%) of this host's speed",
        chosen.size(), all.size(), in.spec->max_speed_diff_pct);
  }
  std::vector<double> pooled;
  for (const Sitting* s : chosen) {
    const auto& v = s->values.at(rule.metric);
    pooled.insert(pooled.end(), v.begin(), v.end());
  }
  ref.series = make_series(std::move(pooled));
  within_band(ref, k);
  // Every sitting's median widened by their range: the speed index does not predict timing well
  // enough (a busy core raised CPU per operation at an index like a faster sitting's), so the
  // sittings of other speeds still bound the drift; those of this speed are the reference.
  const auto medians = sitting_medians(baseline, rule.metric);
  const auto [min_all, max_all] = std::minmax_element(medians.begin(), medians.end());
  const double range = *max_all - *min_all;
  ref.low = std::min(ref.low, *min_all - range);
  ref.high = std::max(ref.high, *max_all + range);
  ref.spans_sittings = true;
  ref.band = fmt::format("the band of {} sittings ({} {:g} MAD, and the range between them)",
                         all.size(), lower ? "max +" : "min -", k);
  return ref;
}

}  // namespace

std::optional<Reference> reference_for(const GateRule& rule, const GateInputs& in,
                                       const Baseline& baseline) {
  auto base = from_baseline(rule, in, baseline);
  if (!rule.from_history) return base;
  auto history = from_history(rule, in);
  if (!history) return base;
  // Never narrower than the baseline's band (its width about its median, here about the history's).
  if (base) {
    const double m = history->series.median;
    history->low = std::min(history->low, m - (base->series.median - base->low));
    history->high = std::max(history->high, m + (base->high - base->series.median));
  }
  return history;
}

}  // namespace memgate
