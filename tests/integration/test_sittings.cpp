// Baselines over several sittings, end to end: `baseline --sittings K --gap-s S` and
// `baseline --append` write each sitting into the one file, atomically; an append that cannot
// pool (another scenario) is exit 2 before anything runs, and a failed sitting leaves the file
// as it was.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

using namespace memgate::test;
using nlohmann::json;

namespace {

// 16 MiB held for 300 ms: a command scenario, quick to repeat.
json quick_scenario(int run_ms = 300) {
  json s = json::parse(R"({
    "name": "quick",
    "sut": {"command": ["{bindir}/mg-test-sut", "--alloc-mib", "16", "--run-ms", "300"]},
    "watch": {"interval_ms": 10},
    "phases": {"warmup_s": 0.1},
    "driver": {"type": "command"},
    "repeat": 2,
    "gate": {"peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304}}
  })");
  s["sut"]["command"][4] = std::to_string(run_ms);
  return s;
}

struct Setup {
  TempDir dir;
  std::string scenario = dir.write("quick.json", quick_scenario().dump());
  std::string baselines = dir.file("baselines");
  std::string file = baselines + "/quick.json";
  CliResult baseline(std::vector<std::string> extra,
                     const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> args = {"baseline", scenario, "--baselines", baselines, "--quiet",
                                     "--repeat", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_memgate(args, 300, env, dir.path());
  }
};

}  // namespace

TEST_CASE("sittings: --sittings makes several, --append adds one, check uses them") {
  Setup s;
  const auto made = s.baseline({"--sittings", "2", "--gap-s", "0"});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  CHECK_THAT(made.output, Catch::Contains("(1 sitting, 2 repetitions") &&
                              Catch::Contains("(2 sittings, 4 repetitions"));
  // Each sitting's speed index and contention, the figures that tell sittings apart.
  CHECK_THAT(made.output,
             Catch::Matches("[\\s\\S]*sittings: 2; speed index \\(reference workload, ms\\): "
                            "[0-9.]+ · [0-9.]+; others' CPU share: [0-9]+% · [0-9]+%[\\s\\S]*"));
  json b = json::parse(slurp(s.file));
  REQUIRE(b["sittings"].size() == 2);
  CHECK(b["repetitions"] == 4);
  for (const json& sitting : b["sittings"]) {
    CHECK(sitting["repetitions"] == 2);
    CHECK(sitting["values"]["peak_bytes"].size() == 2);
    CHECK(sitting["speed_reference_ms"].is_number());
  }
  CHECK(b["sittings"][0]["created_at"] <= b["sittings"][1]["created_at"]);

  const auto appended = s.baseline({"--append"});
  INFO(appended.output);
  REQUIRE(appended.exit_code == 0);
  CHECK_THAT(appended.output, Catch::Contains("(3 sittings, 6 repetitions"));
  b = json::parse(slurp(s.file));
  CHECK(b["sittings"].size() == 3);
  CHECK(b["metrics"]["peak_bytes"]["values"].size() == 6);

  const auto checked = run_memgate({"check", s.scenario, "--baselines", s.baselines, "--out",
                                    s.dir.file("out"), "--quiet", "--history", "none"},
                                   300, {}, s.dir.path());
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("sittings: an append that cannot pool, or a failed sitting, leaves the file as it was") {
  Setup s;
  REQUIRE(s.baseline({}).exit_code == 0);
  const std::string before = slurp(s.file);

  // A failed run: the sitting is not added.
  const auto failed = s.baseline({"--append"}, {{"MG_TEST_SUT_EXTRA", "--exit-code 3"}});
  INFO(failed.output);
  CHECK(failed.exit_code == 3);
  CHECK_THAT(failed.output, Catch::Contains("baseline NOT written"));
  CHECK(slurp(s.file) == before);

  // Another scenario (its hash changed): exit 2 before any run, naming the file and key.
  s.dir.write("quick.json", quick_scenario(400).dump());
  const auto changed = s.baseline({"--append"});
  INFO(changed.output);
  CHECK(changed.exit_code == 2);
  CHECK_THAT(changed.output, Catch::Contains(s.file) && Catch::Contains("/scenario_hash") &&
                                 Catch::Contains("without --append"));
  CHECK_THAT(changed.output, !Catch::Contains("wrote"));
  CHECK(slurp(s.file) == before);

  // Without --append the changed scenario gets a new baseline of one sitting.
  REQUIRE(s.baseline({}).exit_code == 0);
  CHECK(json::parse(slurp(s.file))["sittings"].size() == 1);
}
