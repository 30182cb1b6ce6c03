// Steps and creeps across a history of checks.

#include <catch2/catch.hpp>

#include "core/report/history.hpp"
#include "core/stats/trend.hpp"

using namespace memgate;
using namespace memgate::stats;

TEST_CASE("trend: a clean step is found where it happened") {
  const std::vector<double> v{100, 101, 99, 100, 100, 101, 120, 121, 119, 120, 121, 120};
  const auto steps = find_steps(v);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].index == 6);
  CHECK(steps[0].before == 100);  // median of 99 100 100 101
  CHECK(steps[0].after == 120);
  CHECK(steps[0].change_pct == Approx(20));
}

TEST_CASE("trend: noise, small shifts and short histories are not steps") {
  CHECK(find_steps({100, 110, 95, 105, 98, 112, 101, 97, 108, 100}).empty());  // noise
  CHECK(find_steps({100, 100, 100, 100, 102, 102, 102, 102}).empty());         // +2% < 5%
  CHECK(find_steps({100, 100, 200}).empty());                                  // too short
  CHECK(find_steps({100, 100, 100, 100, 80, 80, 80, 80}).size() == 1);         // down too
}

TEST_CASE("trend: a slow creep is a drift, a flat history is not") {
  std::vector<double> creep, flat;
  for (int i = 0; i < 20; ++i) {
    creep.push_back(100 + i * 1.0 + (i % 3) * 0.5);  // +1 a check: ~19% over 20 checks
    flat.push_back(100 + (i % 3) * 0.5);
  }
  const auto d = find_drift(creep);
  REQUIRE(d);
  CHECK(d->significant);
  CHECK(d->total_change_pct > 15);
  CHECK(find_steps(creep).empty());  // no single step: only the drift shows it
  const auto f = find_drift(flat);
  REQUIRE(f);
  CHECK_FALSE(f->significant);
  CHECK_FALSE(find_drift({1, 2, 3}));  // too short
}

TEST_CASE("history: lines written are read back, damaged lines are skipped and named") {
  Report r;
  r.scenario = "s";
  r.created_at = "2026-01-01T00:00:00Z";
  RunRecord run;
  run.metrics.peak_bytes = 1234;
  r.runs.push_back(run);
  r.summary = summarize(r.runs);
  const std::string text = history_line(r, "pass", "abc123", true) + "\n{\"cut\": \n\n" +
                           history_line(r, "regressed", "", false) + "\n";
  std::vector<std::string> skipped;
  const auto entries = parse_history(text, "h.jsonl", skipped);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].commit == "abc123");
  CHECK(entries[0].dirty);
  CHECK(entries[0].metrics.at("peak_bytes") == 1234);
  CHECK(entries[1].verdict == "regressed");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0] == "h.jsonl:2: not a history entry");
}

TEST_CASE("history: a sweep's lines carry its figures per unit, for memgate trend") {
  Report r;
  r.scenario = "s";
  r.sweep = {{"key", "phases.load_ops"}, {"values", {1000, 2000}}};
  for (const double ops : {1000.0, 2000.0, 1000.0, 2000.0}) {
    RunRecord run;
    run.sweep_value = ops;
    run.metrics.retained_bytes = static_cast<std::int64_t>(512 * ops);
    r.runs.push_back(run);
  }
  r.summary = summarize(r.runs);
  std::vector<std::string> skipped;
  const auto entries = parse_history(history_line(r, "pass", "", false), "h.jsonl", skipped);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].metrics.at("per_unit.retained_bytes") == 512);
  CHECK(entries[0].metrics.at("retained_bytes") == 512 * 2000);  // the largest value's runs
  CHECK(skipped.empty());
}
