// Statistics: exact values, and each degenerate input with its reason.

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
