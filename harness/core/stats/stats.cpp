#include "core/stats/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace memgate::stats {

namespace {

// The standard normal quantile: Phi(z) = p, by bisection on erfc (exact to double precision in
// 200 halvings of [-40, 40]; called once per fit).
double normal_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

std::optional<double> median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

std::optional<double> quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const auto upper = std::min(lower + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(lower);
  return values[lower] + (values[upper] - values[lower]) * fraction;
}

std::optional<double> mad(const std::vector<double>& values) {
  const auto center = median(values);
  if (!center) return std::nullopt;
  std::vector<double> deviations;
  deviations.reserve(values.size());
  for (double v : values) deviations.push_back(std::fabs(v - *center));
  return median(std::move(deviations));
}

namespace {

// Reduces (xs, ys) to at most max_points points: each is the (median x, median y) of one chunk
// of consecutive points of near-equal size.
void reduce_to_chunk_medians(std::vector<double>& xs, std::vector<double>& ys,
                             std::size_t max_points) {
  const std::size_t n = xs.size();
  std::vector<double> out_x, out_y;
  out_x.reserve(max_points);
  out_y.reserve(max_points);
  for (std::size_t chunk = 0; chunk < max_points; ++chunk) {
    const std::size_t begin = chunk * n / max_points;
    const std::size_t end = (chunk + 1) * n / max_points;
    if (begin == end) continue;
    out_x.push_back(*median({xs.begin() + begin, xs.begin() + end}));
    out_y.push_back(*median({ys.begin() + begin, ys.begin() + end}));
  }
  xs = std::move(out_x);
  ys = std::move(out_y);
}

}  // namespace

std::optional<double> theil_sen_slope(const std::vector<double>& xs_in,
                                      const std::vector<double>& ys_in, std::size_t max_points) {
  if (xs_in.size() != ys_in.size()) throw std::invalid_argument("theil_sen_slope: sizes differ");
  std::vector<double> xs = xs_in, ys = ys_in;
  if (max_points >= 2 && xs.size() > max_points) reduce_to_chunk_medians(xs, ys, max_points);
  std::vector<double> slopes;
  slopes.reserve(xs.size() * (xs.size() - (xs.empty() ? 0 : 1)) / 2);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (std::size_t j = i + 1; j < xs.size(); ++j) {
      const double dx = xs[j] - xs[i];
      if (dx != 0) slopes.push_back((ys[j] - ys[i]) / dx);
    }
  }
  return median(std::move(slopes));
}

std::optional<SlopeFit> fit_slope(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double confidence) {
  if (xs.size() != ys.size()) throw std::invalid_argument("fit_slope: sizes differ");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("fit_slope: confidence");
  std::vector<double> slopes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (std::size_t j = i + 1; j < xs.size(); ++j) {
      const double dx = xs[j] - xs[i];
      if (dx != 0) slopes.push_back((ys[j] - ys[i]) / dx);
    }
  }
  if (slopes.empty()) return std::nullopt;
  SlopeFit fit;
  fit.points = xs.size();
  fit.slope = *median(slopes);
  std::vector<double> residual_0;  // y - slope * x: its median is the intercept
  for (std::size_t i = 0; i < xs.size(); ++i) residual_0.push_back(ys[i] - fit.slope * xs[i]);
  fit.intercept = *median(residual_0);

  // Sen's interval from the ranked slopes.
  std::sort(slopes.begin(), slopes.end());
  const double n = static_cast<double>(xs.size());
  double ties = 0;  // sum over groups of equal x of t(t-1)(2t+5)
  std::vector<double> sorted_x = xs;
  std::sort(sorted_x.begin(), sorted_x.end());
  for (std::size_t i = 0; i < sorted_x.size();) {
    std::size_t j = i;
    while (j < sorted_x.size() && sorted_x[j] == sorted_x[i]) ++j;
    const double t = static_cast<double>(j - i);
    ties += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  const double var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  const double c = normal_quantile(0.5 + confidence / 2) * std::sqrt(var_s);
  const double count = static_cast<double>(slopes.size());
  const long lo_rank = std::lround((count - c) / 2);
  const long hi_rank = std::lround((count + c) / 2 + 1);
  if (lo_rank >= 1 && hi_rank <= static_cast<long>(slopes.size())) {
    fit.ci = std::pair(slopes[static_cast<std::size_t>(lo_rank - 1)],
                       slopes[static_cast<std::size_t>(hi_rank - 1)]);
  }

  double mean_y = 0;
  for (double y : ys) mean_y += y;
  mean_y /= n;
  double ss_total = 0, ss_residual = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double e = ys[i] - (fit.intercept + fit.slope * xs[i]);
    ss_residual += e * e;
    ss_total += (ys[i] - mean_y) * (ys[i] - mean_y);
  }
  const auto [lowest, highest] = std::minmax_element(ys.begin(), ys.end());
  if (*lowest != *highest) fit.r2 = 1 - ss_residual / ss_total;
  return fit;
}

std::optional<double> mann_whitney_greater_p(const std::vector<double>& higher,
                                             const std::vector<double>& lower) {
  const std::size_t m = higher.size(), n = lower.size();
  if (m == 0 || n == 0) return std::nullopt;
  // Pool the values, sort, and give tied values their mid-rank (doubled, to stay integral).
  std::vector<std::pair<double, bool>> pooled;  // (value, from `higher`)
  for (double h : higher) pooled.emplace_back(h, true);
  for (double l : lower) pooled.emplace_back(l, false);
  std::sort(pooled.begin(), pooled.end());
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // (size, doubled mid-rank)
  std::size_t observed = 0;  // doubled rank sum of `higher`
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const std::size_t doubled_rank = (i + 1) + j;  // 2 * mean of ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k) observed += pooled[k].second ? doubled_rank : 0;
    groups.emplace_back(j - i, doubled_rank);
    i = j;
  }
  const std::size_t total = m + n;
  if (m <= 30 && n <= 30) {
    // Exact distribution of the rank sum given the ties: choose k_g of each group g for
    // `higher` (C(t_g, k_g) ways each), over all choices with sum k_g = m.
    const std::size_t max_sum = total * (total + 1);  // doubled sum of all ranks
    std::vector<std::vector<double>> ways(m + 1, std::vector<double>(max_sum + 1, 0.0));
    ways[0][0] = 1;
    for (const auto& [size, doubled_rank] : groups) {
      std::vector<std::vector<double>> next(m + 1, std::vector<double>(max_sum + 1, 0.0));
      double choose = 1;  // C(size, k)
      for (std::size_t k = 0; k <= std::min(size, m); ++k) {
        if (k > 0) choose = choose * static_cast<double>(size - k + 1) / static_cast<double>(k);
        for (std::size_t taken = 0; taken + k <= m; ++taken) {
          for (std::size_t sum = 0; sum + k * doubled_rank <= max_sum; ++sum) {
            if (ways[taken][sum] != 0) next[taken + k][sum + k * doubled_rank] += ways[taken][sum] * choose;
          }
        }
      }
      ways = std::move(next);
    }
    double all = 0, tail = 0;
    for (std::size_t sum = 0; sum <= max_sum; ++sum) {
      all += ways[m][sum];
      if (sum >= observed) tail += ways[m][sum];
    }
    return tail / all;
  }
  // Normal approximation with the tie-corrected variance and a continuity correction.
  const double u = static_cast<double>(observed) / 2 - static_cast<double>(m * (m + 1)) / 2;
  double tie_term = 0;
  for (const auto& [size, rank] : groups) {
    const auto t = static_cast<double>(size);
    tie_term += t * t * t - t;
  }
  const double nn = static_cast<double>(total);
  const double variance = static_cast<double>(m * n) / 12 *
                          ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (variance <= 0) return 1.0;  // every value equal: no evidence either way
  const double z = (u - static_cast<double>(m * n) / 2 - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double wilcoxon_signed_rank_greater_p(const std::vector<double>& differences) {
  std::vector<double> d;
  for (double x : differences) {
    if (x != 0 && std::isfinite(x)) d.push_back(x);
  }
  const std::size_t n = d.size();
  if (n == 0) return 1;
  std::sort(d.begin(), d.end(), [](double a, double b) { return std::fabs(a) < std::fabs(b); });
  // Doubled mid-ranks of |d| (integral), and the doubled rank sum of the positive ones.
  std::vector<std::size_t> doubled_rank(n);
  double tie_term = 0;  // sum of t^3 - t over groups of tied magnitudes
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && std::fabs(d[j]) == std::fabs(d[i])) ++j;
    for (std::size_t k = i; k < j; ++k) doubled_rank[k] = (i + 1) + j;
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  std::size_t observed = 0;
  for (std::size_t i = 0; i < n; ++i) observed += d[i] > 0 ? doubled_rank[i] : 0;
  const std::size_t max_sum = n * (n + 1);  // doubled sum of all ranks
  if (n <= 60) {
    // Under the null each sign is + or - with probability 1/2: the distribution of the doubled
    // positive rank sum over all 2^n sign patterns, by dynamic programming.
    std::vector<double> ways(max_sum + 1, 0.0);
    ways[0] = 1;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t sum = max_sum; sum + 1 > doubled_rank[i]; --sum) {
        ways[sum] += ways[sum - doubled_rank[i]];
        if (sum == doubled_rank[i]) break;
      }
    }
    double all = 0, tail = 0;
    for (std::size_t sum = 0; sum <= max_sum; ++sum) {
      all += ways[sum];
      if (sum >= observed) tail += ways[sum];
    }
    return tail / all;
  }
  const double nn = static_cast<double>(n);
  const double mean = nn * (nn + 1) / 4;
  const double variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
  const double w = static_cast<double>(observed) / 2;
  const double z = (w - mean - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

}  // namespace memgate::stats
