#include "core/stats/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace memgate::stats {

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

std::optional<double> mann_whitney_greater_p(const std::vector<double>& higher,
                                             const std::vector<double>& lower) {
  const std::size_t m = higher.size(), n = lower.size();
  if (m == 0 || n == 0) return std::nullopt;
  double u = 0;
  for (double h : higher) {
    for (double l : lower) u += h > l ? 1.0 : h == l ? 0.5 : 0.0;
  }
  if (m <= 30 && n <= 30) {
    // count[k][u]: orderings of k "higher" among the values giving U = u, built one "lower"
    // value at a time (the classic recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)).
    const std::size_t max_u = m * n;
    std::vector<std::vector<double>> f(m + 1, std::vector<double>(max_u + 1, 0.0));
    std::vector<std::vector<double>> next = f;
    for (std::size_t k = 0; k <= m; ++k) f[k][0] = 1;  // n = 0: U is 0
    for (std::size_t j = 1; j <= n; ++j) {
      for (std::size_t k = 0; k <= m; ++k) {
        for (std::size_t v = 0; v <= max_u; ++v) {
          double ways = f[k][v];  // the largest value is a "lower" one: adds nothing to U
          if (k > 0 && v >= j) ways += next[k - 1][v - j];  // it is a "higher" one: beats j
          next[k][v] = ways;
        }
      }
      std::swap(f, next);
    }
    double total = 0, tail = 0;
    for (std::size_t v = 0; v <= max_u; ++v) {
      total += f[m][v];
      if (static_cast<double>(v) >= u - 1e-9) tail += f[m][v];
    }
    return tail / total;
  }
  const double mean = static_cast<double>(m * n) / 2;
  const double sd = std::sqrt(static_cast<double>(m * n * (m + n + 1)) / 12);
  const double z = (u - mean - 0.5) / sd;
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

}  // namespace memgate::stats
