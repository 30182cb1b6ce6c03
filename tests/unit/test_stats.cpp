// Statistics: exact values, and each degenerate input with its reason.

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/stats/stats.hpp"

using namespace memgate::stats;

TEST_CASE("median") {
  CHECK_FALSE(median({}));                    // no values: no median
  CHECK(*median({7}) == 7);                   // one value is its own median
  CHECK(*median({3, 1, 2}) == 2);             // odd count: the middle one
  CHECK(*median({4, 1, 3, 2}) == 2.5);        // even count: mean of the two middle ones
  CHECK(*median({5, 5, 5, 5}) == 5);          // zero spread
}

TEST_CASE("quantile, type 7") {
  const std::vector<double> v{1, 2, 3, 4, 5};
  CHECK(*quantile(v, 0) == 1);
  CHECK(*quantile(v, 1) == 5);
  CHECK(*quantile(v, 0.25) == 2);
  CHECK(*quantile({1, 2, 3, 4}, 0.5) == 2.5);
  CHECK(*quantile({10, 20}, 0.95) == Approx(19.5));
  CHECK(*quantile(v, 7) == 5);   // clamped
  CHECK_FALSE(quantile({}, 0.5));
}

TEST_CASE("median absolute deviation") {
  CHECK_FALSE(mad({}));                            // no values: no spread
  CHECK(*mad({42}) == 0);                          // one value: zero spread
  CHECK(*mad({1, 1, 2, 2, 4, 6, 9}) == 1);         // median 2; deviations 1 1 0 0 2 4 7
  CHECK(*mad({3, 3, 3}) == 0);
}

TEST_CASE("Theil-Sen slope") {
  CHECK_FALSE(theil_sen_slope({}, {}));             // no points
  CHECK_FALSE(theil_sen_slope({1}, {5}));           // one point: no slope
  CHECK_FALSE(theil_sen_slope({2, 2}, {1, 9}));     // no two distinct x
  CHECK(*theil_sen_slope({0, 1, 2, 3}, {1, 3, 5, 7}) == 2);   // exact line
  CHECK(*theil_sen_slope({0, 1, 2, 3}, {4, 4, 4, 4}) == 0);   // flat
  // One wild outlier does not move it: slopes of a y = x line with one spike.
  CHECK(*theil_sen_slope({0, 1, 2, 3, 4, 5, 6}, {0, 1, 2, 300, 4, 5, 6}) == 1);
  CHECK_THROWS_AS(theil_sen_slope({1, 2}, {1}), std::invalid_argument);
}

TEST_CASE("Theil-Sen on a long series reduces to chunk medians and keeps the slope") {
  std::vector<double> x, y;
  for (int i = 0; i < 20000; ++i) {
    x.push_back(i);
    y.push_back(3.0 * i + (i % 97 == 0 ? 1e6 : 0));  // sparse spikes
  }
  CHECK(*theil_sen_slope(x, y, 500) == Approx(3.0));
}

TEST_CASE("Mann-Whitney one-sided p-values") {
  CHECK_FALSE(mann_whitney_greater_p({}, {1}));   // no data: no test
  CHECK_FALSE(mann_whitney_greater_p({1}, {}));
  // Complete separation of 5 and 5: one ordering in C(10,5) = 252.
  CHECK(*mann_whitney_greater_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}) == Approx(1.0 / 252));
  // 3 and 3: one in C(6,3) = 20.
  CHECK(*mann_whitney_greater_p({4, 5, 6}, {1, 2, 3}) == Approx(0.05));
  // The other way round is as unlikely as can be: p = 1.
  CHECK(*mann_whitney_greater_p({1, 2, 3}, {4, 5, 6}) == Approx(1.0));
  // Interleaved: no evidence.
  CHECK(*mann_whitney_greater_p({1, 3, 5, 7}, {2, 4, 6, 8}) > 0.5);
  // U = 8 of 9 for 3 v 3: P(U >= 8) = 2/20.
  CHECK(*mann_whitney_greater_p({3, 5, 6}, {1, 2, 4}) == Approx(0.1));
  // Large samples use the normal approximation; a clear shift is significant.
  std::vector<double> low, high;
  for (int i = 0; i < 40; ++i) {
    low.push_back(i);
    high.push_back(i + 20);
  }
  CHECK(*mann_whitney_greater_p(high, low) < 0.001);
  CHECK(*mann_whitney_greater_p(low, low) == Approx(0.5).margin(0.05));
}

TEST_CASE("Mann-Whitney with ties: exact, conditional on the ties") {
  // Checked by enumerating all C(10,5) = 252 splits of the pooled values.
  CHECK(*mann_whitney_greater_p({2, 2, 3, 4, 5}, {0, 1, 2, 2, 3}) == Approx(17.0 / 252));
  // All equal: every split gives the same rank sum, p = 1.
  CHECK(*mann_whitney_greater_p({7, 7, 7}, {7, 7, 7}) == Approx(1.0));
  // A tie across the two samples (5): 3 of the C(6,3) = 20 splits reach the observed rank sum.
  CHECK(*mann_whitney_greater_p({5, 5, 6}, {1, 1, 5}) == Approx(3.0 / 20));
}

TEST_CASE("fit_slope: a line through repeated values is found exactly") {
  // 3 swept values, 3 runs each: 100 B + 10 B per unit.
  std::vector<double> xs, ys;
  for (int round = 0; round < 3; ++round) {
    for (double x : {1000.0, 2000.0, 4000.0}) {
      xs.push_back(x);
      ys.push_back(100 + 10 * x);
    }
  }
  const auto fit = fit_slope(xs, ys);
  REQUIRE(fit);
  CHECK(fit->slope == Approx(10));
  CHECK(fit->intercept == Approx(100));
  CHECK(fit->points == 9);
  REQUIRE(fit->r2);
  CHECK(*fit->r2 == Approx(1));
  REQUIRE(fit->ci);
  CHECK(fit->ci->first == Approx(10));
  CHECK(fit->ci->second == Approx(10));
}

TEST_CASE("fit_slope: Sen's interval takes the ranked pairwise slopes at its ranks") {
  // n = 9 in 3 groups of 3 equal x: Var S = (9*8*23 - 3*3*2*11) / 18 = 81, C = 1.96 * 9 = 17.64,
  // 27 slopes: ranks round(4.68) = 5 and round(22.32 + 1) = 23.
  const std::vector<double> xs{1, 1, 1, 2, 2, 2, 3, 3, 3};
  const std::vector<double> ys{10, 13, 9, 21, 18, 25, 29, 33, 30};
  std::vector<double> slopes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (std::size_t j = i + 1; j < xs.size(); ++j) {
      if (xs[i] != xs[j]) slopes.push_back((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  REQUIRE(slopes.size() == 27);
  std::sort(slopes.begin(), slopes.end());
  const auto fit = fit_slope(xs, ys);
  REQUIRE(fit);
  CHECK(fit->slope == Approx(slopes[13]));  // the median of 27
  REQUIRE(fit->ci);
  CHECK(fit->ci->first == Approx(slopes[4]));
  CHECK(fit->ci->second == Approx(slopes[22]));
  CHECK(fit->ci->first > 0);  // y grows with x beyond doubt
}

TEST_CASE("fit_slope: degenerate input is explicit") {
  CHECK_FALSE(fit_slope({}, {}));
  CHECK_FALSE(fit_slope({5, 5, 5}, {1, 2, 3}));          // one distinct x: no slope
  const auto once = fit_slope({1, 2, 3}, {10, 20, 30});  // 3 values, once each
  REQUIRE(once);
  CHECK(once->slope == Approx(10));
  CHECK_FALSE(once->ci);  // too few points for an interval
  const auto flat = fit_slope({1, 1, 2, 2, 3, 3}, {7, 7, 7, 7, 7, 7});
  REQUIRE(flat);
  CHECK(flat->slope == 0);
  CHECK_FALSE(flat->r2);  // y does not vary
  REQUIRE(flat->ci);
  CHECK(flat->ci->first == 0);
  CHECK(flat->ci->second == 0);
  CHECK_THROWS_AS(fit_slope({1, 2}, {1}), std::invalid_argument);
}

TEST_CASE("fit_slope: one odd run barely moves the slope, no trend gives an interval holding 0") {
  const std::vector<double> xs{1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4};
  std::vector<double> ys;
  for (std::size_t i = 0; i < xs.size(); ++i) ys.push_back(1000 * xs[i] + ((i * 7) % 5) * 10.0);
  ys[4] += 50000;  // one run far off
  const auto fit = fit_slope(xs, ys);
  REQUIRE(fit);
  CHECK(fit->slope == Approx(1000).epsilon(0.05));
  // A bounded cache: the same memory whatever the work, plus noise.
  std::vector<double> flat;
  for (std::size_t i = 0; i < xs.size(); ++i) flat.push_back(5e6 + ((i * 7) % 5) * 4096.0);
  const auto none = fit_slope(xs, flat);
  REQUIRE(none);
  REQUIRE(none->ci);
  CHECK(none->ci->first <= 0);
  CHECK(none->ci->second >= 0);
}
