// The gate end to end: baselines and checks of a small SUT whose memory behaviour the test
// changes from outside the scenario (MG_TEST_SUT_EXTRA), as a new release of a real SUT would.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

using namespace memgate::test;
using nlohmann::json;

namespace {

// 64 MiB held while working 1.2 s; a command scenario: its whole life is the load.
json footprint_scenario() {
  return json::parse(R"({
    "name": "footprint",
    "sut": {"command": ["{bindir}/mg-test-sut", "--alloc-mib", "64", "--run-ms", "1200"]},
    "watch": {"interval_ms": 10},
    "phases": {"warmup_s": 0.2},
    "driver": {"type": "command"},
    "repeat": 3,
    "gate": {
      "peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
      "plateau_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
      "growth_bytes_per_min": {"max_bytes_per_min": 16777216}
    }
  })");
}

struct Setup {
  TempDir dir;
  std::string scenario;
  std::string baselines;
  Setup() : scenario(dir.write("footprint.json", footprint_scenario().dump())),
            baselines(dir.file("baselines")) {}
  CliResult baseline(const std::map<std::string, std::string>& env = {}) const {
    return run_memgate({"baseline", scenario, "--baselines", baselines, "--quiet"}, 300, env,
                       dir.path());
  }
  CliResult check(const std::map<std::string, std::string>& env = {}) const {
    return run_memgate({"check", scenario, "--baselines", baselines, "--out", dir.file("out"),
                        "--quiet"},
                       300, env, dir.path());
  }
  std::string baseline_file() const { return baselines + "/footprint.json"; }
};

}  // namespace

TEST_CASE("gate e2e: a baseline, then checks of the same, a bigger and a leaking SUT") {
  Setup s;
  const auto made = s.baseline();
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  CHECK_THAT(made.output, Catch::Contains("wrote " + s.baseline_file() + " (5 repetitions, SUT "
                                          "mg-test-sut 1.0)"));
  const json baseline = json::parse(slurp(s.baseline_file()));
  CHECK(baseline["schema_version"] == 1);
  CHECK(baseline["metrics"]["peak_bytes"]["values"].size() == 5);
  CHECK(baseline["environment"].contains("cpu_model"));

  const auto same = s.check();
  INFO(same.output);
  CHECK(same.exit_code == 0);
  CHECK_THAT(same.output, Catch::Contains("footprint: PASS"));
  const json report = json::parse(slurp(s.dir.file("out/report.json")));
  CHECK(report["verdict"]["status"] == "pass");
  CHECK(report["verdict"]["checks"].size() == 3);

  const auto bigger = s.check({{"MG_TEST_SUT_EXTRA", "--extra-mib 13"}});  // +20%
  INFO(bigger.output);
  CHECK(bigger.exit_code == 1);
  CHECK_THAT(bigger.output, Catch::Contains("REGRESSED") && Catch::Contains("peak_bytes") &&
                                Catch::Contains("plateau_bytes"));

  const auto leaking = s.check({{"MG_TEST_SUT_EXTRA", "--leak-bytes-per-ms 8192"}});
  INFO(leaking.output);
  CHECK(leaking.exit_code == 1);
  CHECK_THAT(leaking.output, Catch::Contains("REGRESSED") &&
                                 Catch::Contains("growth_bytes_per_min"));
  const json leak_report = json::parse(slurp(s.dir.file("out/report.json")));
  CHECK(leak_report["verdict"]["checks"][0]["status"] == "regressed");

  // compare gates the written report again, running nothing, to the same verdict.
  const auto compared = run_memgate({"compare", s.dir.file("out/report.json"), s.baseline_file()});
  CHECK(compared.exit_code == 1);
  CHECK_THAT(compared.output, Catch::Contains("growth_bytes_per_min"));
}

TEST_CASE("gate e2e: damaged baselines are exit 2 and stay untouched") {
  Setup s;
  REQUIRE(s.baseline().exit_code == 0);
  const std::string good = slurp(s.baseline_file());
  // A report to compare against the damaged baselines (compare must fail on the baseline).
  REQUIRE(s.check().exit_code == 0);
  const std::string report = s.dir.file("kept-report.json");
  std::filesystem::copy_file(s.dir.file("out/report.json"), report);
  std::filesystem::remove(s.dir.file("out/report.json"));
  json other_schema = json::parse(good);
  other_schema["schema_version"] = 99;
  json edited_value = json::parse(good);  // hand-edited: a number made a string
  edited_value["metrics"]["peak_bytes"]["values"][0] = "12 MB";
  json edited_out = json::parse(good);    // hand-edited: a required part deleted
  edited_out["metrics"]["peak_bytes"].erase("values");
  const std::vector<std::pair<std::string, std::string>> damages = {
      {good.substr(0, good.size() / 2), ""},                 // truncated
      {"{\"schema_version\": 1, garbage", ""},               // corrupted
      {other_schema.dump(), "/schema_version"},              // another schema version
      {edited_value.dump(1), "/metrics/peak_bytes/values/0"},
      {edited_out.dump(1), "/metrics/peak_bytes"},
  };
  for (const auto& [damaged, where] : damages) {
    std::ofstream(s.baseline_file(), std::ios::trunc) << damaged;
    const auto r = s.check();
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(s.baseline_file()) && Catch::Contains(where));
    CHECK(slurp(s.baseline_file()) == damaged);  // byte for byte
    CHECK_FALSE(std::filesystem::exists(s.dir.file("out/report.json")));  // nothing ran
    const auto compared = run_memgate({"compare", report, s.baseline_file()});
    CHECK(compared.exit_code == 2);
    CHECK_THAT(compared.output, Catch::Contains(s.baseline_file()));
    CHECK(slurp(s.baseline_file()) == damaged);
  }
}

TEST_CASE("gate e2e: a failed run never replaces a good baseline") {
  Setup s;
  REQUIRE(s.baseline().exit_code == 0);
  const std::string good = slurp(s.baseline_file());
  const auto failed = s.baseline({{"MG_TEST_SUT_EXTRA", "--exit-code 5"}});
  CHECK(failed.exit_code == 3);
  CHECK_THAT(failed.output, Catch::Contains("baseline NOT written") &&
                                Catch::Contains("exited with status 5"));
  CHECK(slurp(s.baseline_file()) == good);
  // Refreshing it prints what changed.
  const auto again = s.baseline({{"MG_TEST_SUT_EXTRA", "--extra-mib 8"}});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("peak_bytes:") && Catch::Contains("->"));
}

TEST_CASE("gate e2e: no baseline and a stale baseline are exit 4 with the command to fix it") {
  Setup s;
  const auto none = s.check();
  CHECK(none.exit_code == 4);
  CHECK_THAT(none.output, Catch::Contains("NO BASELINE") &&
                              Catch::Contains("memgate baseline " + s.scenario));
  REQUIRE(s.baseline().exit_code == 0);
  json changed = footprint_scenario();
  changed["sut"]["command"][4] = "1000";  // a different load: the baseline no longer applies
  std::ofstream(s.scenario, std::ios::trunc) << changed.dump();
  const auto stale = s.check();
  CHECK(stale.exit_code == 4);
  CHECK_THAT(stale.output, Catch::Contains("STALE BASELINE") &&
                               Catch::Contains("the scenario changed since its baseline"));
  // Editing only a threshold keeps the baseline.
  json threshold = footprint_scenario();
  threshold["gate"]["peak_bytes"]["max_increase_pct"] = 20;
  std::ofstream(s.scenario, std::ios::trunc) << threshold.dump();
  CHECK(s.check().exit_code == 0);
}

TEST_CASE("gate e2e: a mapped file moves the total memory, not the anonymous memory") {
  TempDir dir;
  json scenario = footprint_scenario();
  scenario["name"] = "kinds";
  scenario["sut"]["command"] = {"{bindir}/mg-test-sut", "--alloc-mib", "64", "--run-ms", "600"};
  scenario["gate"] = json::parse(R"({
    "peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "peak_anon_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "plateau_anon_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304}
  })");
  const std::string file = dir.write("kinds.json", scenario.dump());
  const std::string baselines = dir.file("baselines");
  const auto made =
      run_memgate({"baseline", file, "--baselines", baselines, "--quiet"}, 300, {}, dir.path());
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  const auto statuses = [&](const std::string& extra) {
    const auto checked =
        run_memgate({"check", file, "--baselines", baselines, "--out", dir.file("out"), "--quiet"},
                    300, {{"MG_TEST_SUT_EXTRA", extra}}, dir.path());
    INFO(checked.output);
    CHECK(checked.exit_code == 1);
    std::map<std::string, std::string> out;
    const json report = json::parse(slurp(dir.file("out/report.json")));
    for (const auto& c : report["verdict"]["checks"]) {
      out[c["metric"].get<std::string>()] = c["status"].get<std::string>();
    }
    return out;
  };
  const auto mapped = statuses("--map-mib 32");  // a bigger mapped file: not a leak
  CHECK(mapped.at("peak_bytes") == "regressed");
  CHECK(mapped.at("peak_anon_bytes") == "pass");
  CHECK(mapped.at("plateau_anon_bytes") == "pass");
  const auto heap = statuses("--extra-mib 32");  // more heap
  CHECK(heap.at("peak_bytes") == "regressed");
  CHECK(heap.at("peak_anon_bytes") == "regressed");
  CHECK(heap.at("plateau_anon_bytes") == "regressed");
}

TEST_CASE(
    "gate e2e: a leak in one child of a pool fails the largest process's rules, not the tree") {
  TempDir dir;
  json scenario = footprint_scenario();
  scenario["name"] = "pool";
  // A parent and 8 children of 20 MiB; the leak makes the first child 14 MiB bigger: 8% more
  // for the tree, 65% more for that one process.
  scenario["sut"]["command"] = {
      "{bindir}/mg-test-sut", "--children", "8", "--child-mib", "20", "--run-ms", "1200"};
  scenario["gate"] = json::parse(R"({
    "plateau_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "max_process_peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "max_process_plateau_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304}
  })");
  const std::string file = dir.write("pool.json", scenario.dump());
  const std::string baselines = dir.file("baselines");
  const auto made =
      run_memgate({"baseline", file, "--baselines", baselines, "--quiet"}, 300, {}, dir.path());
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  const auto checked =
      run_memgate({"check", file, "--baselines", baselines, "--out", dir.file("out"), "--quiet"},
                  300, {{"MG_TEST_SUT_EXTRA", "--first-child-extra-mib 14"}}, dir.path());
  INFO(checked.output);
  CHECK(checked.exit_code == 1);
  std::map<std::string, std::string> status;
  const json report = json::parse(slurp(dir.file("out/report.json")));
  for (const auto& c : report["verdict"]["checks"]) status[c["metric"]] = c["status"];
  CHECK(status.at("max_process_peak_bytes") == "regressed");
  CHECK(status.at("max_process_plateau_bytes") == "regressed");
  CHECK(status.at("plateau_bytes") == "pass");
  CHECK_THAT(checked.output, Catch::Contains("REGRESSED: max_process_peak_bytes"));
  // Each child's row has its own plateau: the leaking one's 14 MiB above the others'.
  std::vector<double> children;
  for (const auto& p : report["runs"][0]["processes"]) {
    if (p["command_line"].get<std::string>().find("--child-mib") != std::string::npos &&
        p.contains("plateau_bytes")) {
      children.push_back(p["plateau_bytes"].get<double>());
    }
  }
  INFO(report["runs"][0]["processes"].dump());
  REQUIRE(children.size() >= 9);  // the parent and its 8 children share its command line
  std::sort(children.rbegin(), children.rend());
  CHECK(children[0] - children[1] > 12 * 1024 * 1024);
  CHECK(report["metrics"]["max_process_plateau_bytes"].get<double>() ==
        Approx(children[0]).epsilon(0.05));
}
