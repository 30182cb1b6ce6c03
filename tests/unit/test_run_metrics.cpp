// Metric functions on synthetic series with exact expected values.

#include <catch2/catch.hpp>

#include "core/metrics/run_metrics.hpp"

using namespace memgate;

namespace {

// idle 0-1000 ms, warmup 1000-2000, load 2000-62000, cooldown 62000-66000.
std::vector<PhaseSpan> phases() {
  return {{"idle", 0, 1000}, {"warmup", 1000, 2000}, {"load", 2000, 62000},
          {"cooldown", 62000, 66000}};
}

// One sample every 500 ms: idle at 100 MB, warm-up 150, load rising 1 MB per second from 200,
// cool-down at 160 then 120.
Series synthetic() {
  Series s;
  for (double t = 0; t <= 66000; t += 500) {
    std::int64_t bytes;
    if (t <= 1000) bytes = 100'000'000;
    else if (t < 2000) bytes = 150'000'000;
    else if (t <= 62000) bytes = 200'000'000 + static_cast<std::int64_t>((t - 2000) * 1000);
    else if (t <= 64000) bytes = 160'000'000;
    else bytes = 120'000'000;
    s.push_back({t, bytes});
  }
  return s;
}

}  // namespace

TEST_CASE("metrics of a synthetic run") {
  const Series s = synthetic();
  CHECK(idle_bytes(s, phases()) == 100'000'000);
  // Load samples 2000..62000 in 500 ms steps: 121 values, median at t = 32000.
  CHECK(plateau_bytes(s, phases()) == 230'000'000);
  CHECK(*growth_bytes_per_min(s, phases()) == Approx(60'000'000.0));  // 1 MB/s
  // Second half of the cool-down (64000-66000): 160 at 64000, then 120 x4 -> median 120.
  CHECK(residual_bytes(s, phases()) == 120'000'000);
  CHECK(*throughput_per_s(6000, phases()) == Approx(100.0));  // 6000 ops in 60 s

  const RunMetrics m = compute_run_metrics(s, phases(), 260'000'000, 6000, 2, std::nullopt);
  CHECK(m.retained_bytes == 20'000'000);
  CHECK(m.peak_bytes == 260'000'000);
  CHECK(m.ops == 6000);
  CHECK(m.errors == 2);
  CHECK(*m.throughput_per_s == Approx(100.0));
}

TEST_CASE("metrics with missing phases or samples stay empty") {
  const Series s = synthetic();
  const std::vector<PhaseSpan> load_only{{"load", 2000, 62000}};
  CHECK_FALSE(idle_bytes(s, load_only));
  CHECK_FALSE(residual_bytes(s, load_only));
  const RunMetrics m = compute_run_metrics(s, load_only, 1, std::nullopt, 0, std::nullopt);
  CHECK_FALSE(m.retained_bytes);
  CHECK_FALSE(m.throughput_per_s);  // no operations: a command run
  CHECK_FALSE(plateau_bytes({}, phases()));
  CHECK_FALSE(growth_bytes_per_min({{3000, 5}}, phases()));  // one sample: no slope
  CHECK_FALSE(throughput_per_s(10, {{"load", 5, 5}}));       // a load of no time
}

TEST_CASE("idle with an empty idle phase takes the last sample before the load") {
  const Series s{{0, 10}, {40, 20}, {90, 30}};
  CHECK(idle_bytes(s, {{"idle", 50, 50}, {"load", 50, 100}}) == 20);
}

TEST_CASE("a flat load has zero growth") {
  Series s;
  for (int i = 0; i < 100; ++i) s.push_back({i * 50.0, 5'000'000 + (i % 2) * 4096});
  CHECK(*growth_bytes_per_min(s, {{"load", 0, 5000}}) == Approx(0.0).margin(1e-6));
}
