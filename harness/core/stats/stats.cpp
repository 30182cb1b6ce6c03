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

}  // namespace memgate::stats
