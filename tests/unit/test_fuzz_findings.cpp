// Regressions found by the fuzz targets (tests/fuzz); each input is also in their seed corpus.
#include <catch2/catch.hpp>

#include "core/baseline/baseline.hpp"
#include "core/model/errors.hpp"
#include "core/report/history.hpp"
#include "core/scenario/overrides.hpp"
#include "core/scenario/scenario_loader.hpp"

using namespace memgate;
using nlohmann::json;

namespace {
json command_scenario() {
  return json::parse(R"({"name": "cmd", "sut": {"command": ["true"]},
                         "phases": {}, "driver": {"type": "command"}})");
}
Scenario load(const json& j, LoadOptions options = {}) {
  return parse_scenario(j, "scenarios/x.json", options);
}
}  // namespace

TEST_CASE("scenario: {port} must give a valid scenario with any port, not only the one validated") {
  json j = json::parse(R"({"name": "x", "sut": {"command": ["srv"]}, "phases": {"load_s": 1},
                           "driver": {"type": "redis-queue", "port": "{port}0"}})");
  CHECK_THROWS_WITH(load(j), Catch::Contains("/driver/port") && Catch::Contains("every port = 65535"));
  j = command_scenario();
  j["name"] = std::string(99, 'a') + "{port}";
  CHECK_THROWS_WITH(load(j), Catch::Contains("/name") && Catch::Contains("every port = 65535"));
  j["name"] = std::string(95, 'a') + "{port}";  // 100 characters with any port
  const Scenario s = load(j);
  CHECK(instantiate(s, {{{"sut", 65535}}, "/tmp/run"}).name.size() == 100);
}

TEST_CASE("overrides: --set creates missing objects on its way, and reads JSON values strictly") {
  LoadOptions o;
  o.overrides = {parse_override("gate.budgets.peak_bytes=1000000")};
  const Scenario s = load(command_scenario(), o);
  REQUIRE(s.gate.budgets.size() == 1);
  CHECK(s.gate.budgets[0].limit == 1000000);

  CHECK_THROWS_WITH(parse_override("repeat=\xff"), Catch::Contains("not valid UTF-8"));
  CHECK_THROWS_AS(parse_override("sut.env.K\xff=x"), UsageError);
  CHECK_THROWS_WITH(parse_override("description=" + std::string(100, '[') + std::string(100, ']')),
                    Catch::Contains("deeper than 64"));
  CHECK_THROWS_WITH(parse_override(R"(driver={"a": 1, "a": 2})"),
                    Catch::Contains("/a") && Catch::Contains("twice"));
  CHECK(parse_override("description=not json").value == "not json");
}

TEST_CASE("baseline: an environment with fields of another type is read, not thrown on") {
  const json doc = json::parse(R"({"schema_version": 1, "scenario": "m", "scenario_hash": "0",
      "environment": {"cores": 1e30, "cpu_model": 7, "memory_bytes": "x", "arch": null},
      "repetitions": 1, "metrics": {}})");
  const Baseline b = baseline_from_json(doc, "b.json");
  CHECK(b.fingerprint == machine_fingerprint(json::object()));
  CHECK(cpu_model_of(b.environment) == "?");
  const auto lines = describe_changes(b, Baseline{});
  CHECK(std::find(lines.begin(), lines.end(), "measured on another machine class (? -> ?)") !=
        lines.end());
}

TEST_CASE("history: a line with fields of another type (a report.json) reads them as absent") {
  std::vector<std::string> skipped;
  const auto entries = parse_history(
      R"({"scenario": "s", "metrics": {"peak_bytes": 1}, "verdict": {"status": "pass"}, "time": 1, "dirty": "yes"})",
      "h.jsonl", skipped);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].verdict.empty());
  CHECK(entries[0].time.empty());
  CHECK_FALSE(entries[0].dirty);
  CHECK(skipped.empty());
}
