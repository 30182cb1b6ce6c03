#pragma once

// Pure statistics over plain values. Degenerate input is explicit: an empty input has no median
// (std::nullopt), one value has zero spread, a series without two distinct x has no slope.

#include <cstddef>
#include <optional>
#include <vector>

namespace memgate::stats {

// The middle value; for an even count the mean of the two middle values. Empty: nullopt.
std::optional<double> median(std::vector<double> values);

// Quantile q in [0, 1] by linear interpolation between closest ranks (Hyndman–Fan type 7, the
// default of numpy and R). Empty: nullopt. q outside [0, 1] is clamped.
std::optional<double> quantile(std::vector<double> values, double q);

// Median absolute deviation from the median, unscaled. Empty: nullopt; one value: 0.
std::optional<double> mad(const std::vector<double>& values);

// Theil–Sen slope: the median of the slopes (y_j - y_i) / (x_j - x_i) over all pairs with
// x_i != x_j; robust to up to ~29% outliers. Fewer than two distinct x: nullopt. xs and ys must
// have the same length. A series longer than max_points is first reduced to max_points points
// (the median x and median y of consecutive equal-count chunks), keeping the cost
// O(max_points^2) whatever the sampling rate.
std::optional<double> theil_sen_slope(const std::vector<double>& xs, const std::vector<double>& ys,
                                      std::size_t max_points = 1000);

// A robust line through points (x, y) with the slope's confidence interval: for memory per unit
// of work (sweeps), where one odd run must not decide.
struct SlopeFit {
  double slope = 0;      // Theil–Sen: the median of the pairwise slopes
  double intercept = 0;  // the median of y - slope * x
  // Sen's (1968) distribution-free interval at `confidence`: the pairwise slopes ranked, its
  // ends at ranks round((N - C) / 2) and round((N + C) / 2 + 1) (1-based, of N slopes), where
  // C = z * sqrt(Var S) and Var S = [n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18 is the variance of
  // Kendall's S under no association, corrected for the groups of t equal x (the repetitions of
  // one swept value). nullopt when a rank falls outside the slopes: too few points (3 values
  // run once each never have one).
  std::optional<std::pair<double, double>> ci;
  // 1 - SS(residuals of this line) / SS(y about its mean); nullopt when y does not vary.
  std::optional<double> r2;
  std::size_t points = 0;
};

// nullopt: fewer than two distinct x. xs and ys must have the same length; confidence in
// (0, 1), e.g. 0.95.
std::optional<SlopeFit> fit_slope(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double confidence = 0.95);

// One-sided Mann–Whitney U test: the p-value of "values of `higher` tend to exceed those of
// `lower`" under the null hypothesis that both come from one distribution (ties get mid-ranks).
// Exact, conditional on the ties (memory is counted in pages, so ties are common), when both
// samples have at most 30 values; above, the normal approximation with tie-corrected variance
// and continuity correction. Empty input: nullopt.
std::optional<double> mann_whitney_greater_p(const std::vector<double>& higher,
                                             const std::vector<double>& lower);

// One-sided Wilcoxon signed-rank test for paired differences: the p-value of "the differences
// tend to be positive" under the null hypothesis that they are symmetric around 0. Zero
// differences are dropped; tied magnitudes get mid-ranks. Exact (conditional on the ties) for up
// to 60 non-zero differences; above, the normal approximation with tie-corrected variance. No
// non-zero difference: p = 1. Five differences all positive give 1/32.
double wilcoxon_signed_rank_greater_p(const std::vector<double>& differences);

}  // namespace memgate::stats
