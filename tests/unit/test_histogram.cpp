// The log-bucketed latency histogram: exact below 128, within 1/64 above, mergeable.

#include <catch2/catch.hpp>

#include <random>

#include "core/stats/histogram.hpp"
#include "core/stats/stats.hpp"

using namespace memgate;

TEST_CASE("histogram: empty and exact small values") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.quantile_ns(0.5) == 0);  // empty: no latency
  for (int v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.count() == 100);
  CHECK(h.quantile_ns(0.5) == 50);
  CHECK(h.quantile_ns(0.95) == 95);
  CHECK(h.quantile_ns(0.99) == 99);
  CHECK(h.quantile_ns(1.0) == 100);
  CHECK(h.min_ns() == 1);
  CHECK(h.max_ns() == 100);
  h.record(-5);  // clock steps backwards count as 0
  CHECK(h.min_ns() == 0);
}

TEST_CASE("histogram: buckets tile the number line") {
  for (int b = 0; b < 2000; ++b) {
    CHECK(LatencyHistogram::bucket_of(LatencyHistogram::bucket_low(b)) == b);
    CHECK(LatencyHistogram::bucket_of(LatencyHistogram::bucket_high(b)) == b);
    CHECK(LatencyHistogram::bucket_low(b + 1) == LatencyHistogram::bucket_high(b) + 1);
  }
}

TEST_CASE("histogram: quantiles within 1/64 of the exact ones") {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(13.0, 1.0);  // ~0.4 ms median, long tail
  LatencyHistogram h;
  std::vector<double> exact;
  for (int i = 0; i < 100'000; ++i) {
    const auto ns = static_cast<std::int64_t>(latency(rng));
    h.record(ns);
    exact.push_back(static_cast<double>(ns));
  }
  for (double q : {0.5, 0.95, 0.99, 0.999}) {
    // Nearest rank vs interpolation differ by at most one value; compare within the bucket error.
    const double truth = *stats::quantile(exact, q);
    CHECK(std::abs(static_cast<double>(h.quantile_ns(q)) - truth) <= truth / 64 + 1);
  }
  CHECK(h.quantile_ns(1.0) == h.max_ns());
}

TEST_CASE("histogram: merging equals recording everything in one") {
  LatencyHistogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t v = (i * 7919) % 3'000'000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.max_ns() == all.max_ns());
  CHECK(a.min_ns() == all.min_ns());
  for (double q : {0.1, 0.5, 0.9, 0.99}) CHECK(a.quantile_ns(q) == all.quantile_ns(q));
  LatencyHistogram empty;
  a.merge(empty);
  CHECK(a.count() == all.count());
}
