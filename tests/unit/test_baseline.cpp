// Baseline files: made from valid runs, written and read back, refused when damaged.

#include <catch2/catch.hpp>

#include "core/baseline/baseline.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

Report report_with_peaks(std::vector<std::int64_t> peaks) {
  Report r;
  r.scenario = "s";
  r.scenario_hash = "0123456789abcdef";
  r.created_at = "2026-11-21T00:00:00Z";
  r.environment = {{"cpu_model", "AMD EPYC"}, {"cores", 2}, {"memory_bytes", 25276502016},
                   {"arch", "x86_64"}};
  int index = 0;
  for (auto peak : peaks) {
    RunRecord run;
    run.index = ++index;
    run.metrics.peak_bytes = peak;
    run.metrics.throughput_per_s = 1000.0 + index;
    r.runs.push_back(run);
  }
  return r;
}

void expect_bad(const json& document, const std::string& path, const std::string& contains) {
  try {
    baseline_from_json(document, "b.json");
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(e.json_path() == path);
    CHECK_THAT(std::string(e.what()) + " " + e.hint(), Catch::Contains(contains));
    CHECK(e.code() == ExitCode::bad_input);
  }
}

}  // namespace

TEST_CASE("baseline: made from the valid runs, with median and spread") {
  Report r = report_with_peaks({100, 110, 90, 105, 95, 1000});
  r.runs.back().valid = false;  // an invalid run never enters a baseline
  const Baseline b = make_baseline(r, "redis 7.0.15");
  CHECK(b.repetitions == 5);
  const MetricSeries& peak = b.metrics.at("peak_bytes");
  CHECK(peak.values.size() == 5);
  CHECK(peak.median == 100);
  CHECK(peak.mad == 5);
  CHECK(peak.min == 90);
  CHECK(peak.max == 110);
  CHECK(b.metrics.count("throughput_per_s") == 1);
  CHECK(b.metrics.count("residual_bytes") == 0);  // no run measured it
  CHECK(b.fingerprint == machine_fingerprint(r.environment));
  CHECK(b.sut_version == "redis 7.0.15");
}

TEST_CASE("baseline: JSON round trip") {
  const Baseline b = make_baseline(report_with_peaks({100, 110, 90}), "");
  const Baseline back = baseline_from_json(json::parse(baseline_to_json(b).dump()), "b.json");
  CHECK(back.scenario_hash == b.scenario_hash);
  CHECK(back.metrics.at("peak_bytes").values == b.metrics.at("peak_bytes").values);
  CHECK(back.fingerprint == b.fingerprint);
  CHECK(back.repetitions == 3);
}

TEST_CASE("baseline: damaged documents name the path of the problem") {
  const json good = baseline_to_json(make_baseline(report_with_peaks({100, 110, 90}), ""));
  json j = good;
  j["schema_version"] = 2;
  expect_bad(j, "/schema_version", "schema version 2");
  j = good;
  j.erase("metrics");
  expect_bad(j, "/metrics", "required key 'metrics'");
  j = good;
  j["metrics"]["peak_bytes"]["median"] = 50;  // hand-edited
  expect_bad(j, "/metrics/peak_bytes/median", "is not the median of the values");
  j = good;
  j["metrics"]["peak_bytes"]["values"][1] = "110";
  expect_bad(j, "/metrics/peak_bytes/values/1", "expected a number");
  j = good;
  j["metrics"]["peak_bytez"] = j["metrics"]["peak_bytes"];
  expect_bad(j, "/metrics/peak_bytez", "did you mean 'peak_bytes'");
  j = good;
  j["repetitions"] = 2;  // three values, two repetitions
  expect_bad(j, "/metrics/peak_bytes/values", "more than the baseline's 2 repetitions");
  j = good;
  j["metrics"]["peak_bytes"]["values"] = json::array();
  expect_bad(j, "/metrics/peak_bytes/values", "non-empty array");
  expect_bad(json::array(), "", "expected an object");
  CHECK_THROWS_AS(parse_json_text(good.dump().substr(0, 100), "b.json"), InputError);  // truncated
}

TEST_CASE("baseline: what changed against the previous one") {
  const Baseline before = make_baseline(report_with_peaks({100, 100, 100}), "");
  Baseline after = make_baseline(report_with_peaks({110, 110, 110}), "");
  after.scenario_hash = "fedcba9876543210";
  const auto lines = describe_changes(before, after);
  CHECK(std::find(lines.begin(), lines.end(),
                  "the scenario changed since the previous baseline") != lines.end());
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("peak_bytes: 100 B -> 110 B (+10.0%)") != std::string::npos;
  }));
}
