#include "core/stats/trend.hpp"

#include <algorithm>
#include <cmath>

#include "core/stats/stats.hpp"

namespace memgate::stats {

std::vector<StepChange> find_steps(const std::vector<double>& values, std::size_t window,
                                   double min_change_pct, double noise_k) {
  std::vector<StepChange> candidates;
  if (window == 0 || values.size() < 2 * window) return candidates;
  for (std::size_t i = window; i + window <= values.size(); ++i) {
    const std::vector<double> before(values.begin() + static_cast<std::ptrdiff_t>(i - window),
                                     values.begin() + static_cast<std::ptrdiff_t>(i));
    const std::vector<double> after(values.begin() + static_cast<std::ptrdiff_t>(i),
                                    values.begin() + static_cast<std::ptrdiff_t>(i + window));
    const double b = *median(before), a = *median(after);
    const double change = a - b;
    const double noise = noise_k * std::max(*mad(before), *mad(after));
    const double pct = b != 0 ? change / std::fabs(b) * 100 : (change != 0 ? 1e9 : 0);
    const bool clean = change > 0 ? *std::min_element(after.begin(), after.end()) >
                                        *std::max_element(before.begin(), before.end())
                                  : *std::max_element(after.begin(), after.end()) <
                                        *std::min_element(before.begin(), before.end());
    if (std::fabs(pct) > min_change_pct && std::fabs(change) > noise && clean) {
      candidates.push_back({i, b, a, pct});
    }
  }
  // Keep the largest of candidates closer than a window to each other.
  std::vector<StepChange> steps;
  for (const auto& c : candidates) {
    if (!steps.empty() && c.index - steps.back().index < window) {
      if (std::fabs(c.change_pct) > std::fabs(steps.back().change_pct)) steps.back() = c;
      continue;
    }
    steps.push_back(c);
  }
  return steps;
}

std::optional<Drift> find_drift(const std::vector<double>& values, double min_change_pct) {
  if (values.size() < 8) return std::nullopt;
  std::vector<double> x(values.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  Drift d;
  d.slope_per_entry = theil_sen_slope(x, values).value_or(0);
  const std::size_t quarter = values.size() / 4;
  const std::vector<double> first(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(quarter));
  const std::vector<double> last(values.end() - static_cast<std::ptrdiff_t>(quarter), values.end());
  const double start = *median(first);
  const double total = d.slope_per_entry * static_cast<double>(values.size() - 1);
  d.total_change_pct = start != 0 ? total / std::fabs(start) * 100 : 0;
  const auto p = d.slope_per_entry >= 0 ? mann_whitney_greater_p(last, first)
                                        : mann_whitney_greater_p(first, last);
  d.significant = std::fabs(d.total_change_pct) > min_change_pct && p && *p <= 0.05;
  return d;
}

}  // namespace memgate::stats
