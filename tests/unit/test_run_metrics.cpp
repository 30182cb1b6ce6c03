// Metric functions on synthetic series with exact expected values.

#include <catch2/catch.hpp>

#include "core/baseline/baseline.hpp"
#include "core/metrics/per_unit.hpp"
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

TEST_CASE("anonymous memory: highest sample of the run, median over the load") {
  // Anonymous memory is the total less 90 MB of code and mapped files, except one idle sample
  // where a 300 MB heap came and went.
  Series s = synthetic();
  for (Sample& sample : s) sample.anon_bytes = sample.bytes - 90'000'000;
  s[1].anon_bytes = 300'000'000;
  CHECK(peak_anon_bytes(s) == 300'000'000);
  CHECK(plateau_anon_bytes(s, phases()) == 230'000'000 - 90'000'000);
  const RunMetrics m = compute_run_metrics(s, phases(), 310'000'000, 6000, 0, std::nullopt);
  CHECK(m.peak_anon_bytes == 300'000'000);
  CHECK(m.plateau_anon_bytes == 140'000'000);
  CHECK_FALSE(peak_anon_bytes({}));
  CHECK_FALSE(peak_anon_bytes(synthetic()));  // samples without the kinds (an older report)
  CHECK_FALSE(plateau_anon_bytes(s, {{"idle", 0, 1000}}));  // no load phase
}

TEST_CASE("per process: each one's own median over the load, the largest of a role") {
  // A long-lived worker at 30 MB with a spike to 90 MB in the load, a second one at 50 MB, a
  // child that lived only in the warm-up and one that lived through a third of the load (no
  // plateau: a short child's few samples are no level it held), a service's process at 70 MB.
  std::vector<ProcessRecord> rows(5);
  rows[0].role = rows[1].role = rows[2].role = rows[4].role = "sut";
  rows[3].role = "redis";
  std::vector<Series> samples(5);
  for (double t = 0; t <= 66000; t += 500) {
    samples[0].push_back({t, t == 30000 ? 90'000'000 : 30'000'000});
    samples[1].push_back({t, 50'000'000});
    if (t > 1000 && t < 2000) samples[2].push_back({t, 400'000'000});
    samples[3].push_back({t, 70'000'000});
    if (t >= 20000 && t <= 40000) samples[4].push_back({t, 300'000'000});
  }
  set_process_plateaus(rows, samples, phases());
  CHECK(rows[0].plateau_bytes == 30'000'000);  // a spike is the peak's, not the plateau's
  CHECK(rows[1].plateau_bytes == 50'000'000);
  CHECK_FALSE(rows[2].plateau_bytes);
  CHECK_FALSE(rows[4].plateau_bytes);
  samples.pop_back();  // a series per row, or none at all
  CHECK_THROWS_AS(set_process_plateaus(rows, samples, phases()), std::logic_error);
  CHECK(max_process_plateau_bytes(rows, "sut") == 50'000'000);
  CHECK(max_process_plateau_bytes(rows, "redis") == 70'000'000);
  CHECK_FALSE(max_process_plateau_bytes(rows, "load"));
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

namespace {

// A one-shot command: `n` samples 10 ms apart, memory rising 1 MB per sample from 0 for the
// first `ramp` samples (its start-up), then `hold` bytes, then 0 at the last sample (it exited).
Series one_shot(int n, int ramp, std::int64_t hold) {
  Series s;
  for (int i = 0; i < n; ++i) {
    const std::int64_t bytes = i + 1 == n ? 0 : i < ramp ? i * 1'000'000 : hold;
    s.push_back({i * 10.0, bytes});
  }
  return s;
}

}  // namespace

TEST_CASE("one-shot command: without a warm-up only the peak, never idle or residual") {
  // 3 samples over 200 ms of a program that allocates once: its "growth" would be the
  // start-up's ramp, tens of gigabytes per minute.
  const Series s{{0, 0}, {100, 232'000'000}, {200, 232'000'000}};
  const std::vector<PhaseSpan> life{{"load", 0, 200}};
  REQUIRE(growth_bytes_per_min(s, life).value_or(0) > 1e9);  // what compute_run_metrics gives
  const RunMetrics m = compute_one_shot_metrics(s, life, 313'000'000);
  CHECK(m.peak_bytes == 313'000'000);
  CHECK_FALSE(m.plateau_bytes);
  CHECK_FALSE(m.growth_bytes_per_min);
  CHECK_FALSE(m.idle_bytes);
  CHECK_FALSE(m.residual_bytes);
  CHECK_FALSE(m.retained_bytes);
  CHECK_FALSE(m.throughput_per_s);
  // Many samples do not make a whole life a plateau: the start-up is still in it.
  const Series long_life = one_shot(1000, 50, 300'000'000);
  const RunMetrics l = compute_one_shot_metrics(long_life, {{"load", 0, 9990}}, 300'000'000);
  CHECK_FALSE(l.plateau_bytes);
  CHECK_FALSE(l.growth_bytes_per_min);
}

TEST_CASE("one-shot command: plateau after a warm-up, growth over enough samples") {
  // Start-up in the first 100 ms (the warm-up), then 300 MB held.
  const Series s = one_shot(200, 10, 300'000'000);
  const std::vector<PhaseSpan> phases{{"warmup", 0, 100}, {"load", 100, 1990}};
  const RunMetrics m = compute_one_shot_metrics(s, phases, 300'000'000);
  CHECK(m.plateau_bytes == 300'000'000);
  REQUIRE(m.growth_bytes_per_min);
  CHECK(*m.growth_bytes_per_min == 0);  // held, not growing: the exit's 0 is one sample of 190
  CHECK_FALSE(m.idle_bytes);

  // The same warm-up with one sample too few after it: a plateau, no growth.
  const std::size_t after = kOneShotGrowthMinSamples - 1;
  const Series few = one_shot(static_cast<int>(10 + after), 10, 300'000'000);
  const std::vector<PhaseSpan> short_phases{{"warmup", 0, 95},
                                            {"load", 95, 10.0 * static_cast<double>(9 + after)}};
  const RunMetrics f = compute_one_shot_metrics(few, short_phases, 300'000'000);
  CHECK(f.plateau_bytes == 300'000'000);
  CHECK_FALSE(f.growth_bytes_per_min);
  // One more sample, and the growth is there.
  const Series enough = one_shot(static_cast<int>(11 + after), 10, 300'000'000);
  const std::vector<PhaseSpan> enough_phases{{"warmup", 0, 95},
                                             {"load", 95, 10.0 * static_cast<double>(10 + after)}};
  CHECK(compute_one_shot_metrics(enough, enough_phases, 300'000'000).growth_bytes_per_min);
}

TEST_CASE("sweep order: every value once per round, each round starting one later") {
  CHECK(sweep_order(3, 3) == std::vector<std::size_t>{0, 1, 2, 1, 2, 0, 2, 0, 1});
  CHECK(sweep_order(2, 1) == std::vector<std::size_t>{0, 1});
  CHECK(sweep_order(4, 0).empty());
  // More rounds after the first ones go on where they stopped.
  CHECK(sweep_order(3, 1, 3) == std::vector<std::size_t>{0, 1, 2});
  CHECK(sweep_order(3, 2, 1) == std::vector<std::size_t>{1, 2, 0, 2, 0, 1});
}

TEST_CASE("sweep: the runs at the largest value stand for the scenario") {
  std::vector<RunRecord> runs;
  for (const double value : {1000.0, 4000.0, 2000.0, 4000.0}) {
    RunRecord run;
    run.index = static_cast<int>(runs.size()) + 1;
    run.sweep_value = value;
    run.metrics.peak_bytes = static_cast<std::int64_t>(value * 1000);
    runs.push_back(run);
  }
  CHECK(stands_for_scenario(runs[1], runs));
  CHECK_FALSE(stands_for_scenario(runs[0], runs));
  CHECK(summarize(runs).peak_bytes == 4'000'000);
  CHECK(metric_values(runs)["peak_bytes"] == std::vector<double>{4e6, 4e6});
  for (auto& run : runs) run.sweep_value.reset();  // no sweep: every run
  CHECK(metric_values(runs)["peak_bytes"].size() == 4);
}

TEST_CASE("per unit: retained bytes growing with the work are a confirmed leak") {
  std::vector<RunRecord> runs;
  const std::vector<std::size_t> order = sweep_order(3, 3);
  const std::vector<double> values{2000, 4000, 8000};
  for (std::size_t i = 0; i < order.size(); ++i) {
    RunRecord run;
    run.index = static_cast<int>(i) + 1;
    run.sweep_value = values[order[i]];
    // 10 KiB per op retained, a little noise; the peak does not depend on the work.
    run.metrics.retained_bytes =
        static_cast<std::int64_t>(10240 * *run.sweep_value + (i % 3) * 65536.0);
    run.metrics.peak_bytes = static_cast<std::int64_t>(200e6 + (i % 4) * 65536.0);
    runs.push_back(run);
  }
  runs.push_back(runs.front());
  runs.back().valid = false;  // an invalid run counts for nothing
  runs.back().metrics.retained_bytes = 1;
  const auto figures = per_unit_figures(runs);
  const auto find = [&](const std::string& metric) {
    for (const auto& f : figures) {
      if (f.metric == metric) return f;
    }
    FAIL("no figure for " << metric);
    return figures.front();
  };
  const PerUnit retained = find("retained_bytes");
  CHECK(retained.fit.points == 9);
  CHECK(retained.fit.slope == Approx(10240).epsilon(0.01));
  REQUIRE(retained.fit.ci);
  CHECK(retained.fit.ci->first <= 10240);
  CHECK(retained.fit.ci->second >= 10240);
  CHECK(retained.confirmed);
  REQUIRE(retained.ratio);
  CHECK(*retained.ratio == Approx(4).epsilon(0.01));  // 4x the work, 4x the memory
  const PerUnit peak = find("peak_bytes");
  REQUIRE(peak.fit.ci);
  CHECK(peak.fit.ci->first <= 0);
  CHECK_FALSE(peak.confirmed);
  CHECK_THAT(per_unit_words(retained, "phases.load_ops", 2000, 8000),
             Catch::StartsWith("retained_bytes: retains 10.0 KiB per op, 95% CI "));
  CHECK_THAT(per_unit_words(retained, "phases.load_ops", 2000, 8000),
             Catch::EndsWith("; confirmed over 2,000-8,000 ops"));
  CHECK_THAT(per_unit_words(peak, "driver.texts.generate.count", 500, 1500),
             Catch::StartsWith("peak_bytes: grows by ") &&
                 Catch::Contains(" per unit of driver.texts.generate.count, 95% CI ") &&
                 Catch::EndsWith("; not confirmed over driver.texts.generate.count = 500-1,500 "
                                 "(the interval holds 0)"));
  const nlohmann::json j = per_unit_to_json(figures);
  CHECK(j["retained_bytes"]["confirmed"] == true);
  CHECK(j["retained_bytes"]["ci95"].size() == 2);
  CHECK(j["peak_bytes"]["confirmed"] == false);
}
