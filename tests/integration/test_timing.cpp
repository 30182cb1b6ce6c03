// Timing you can trust, on real processes: CPU time per operation, the contention a neighbour
// causes, timing checks left unjudged on a busy machine, and `memgate ab`. The text service over
// stdin, with a known CPU cost per text (--cpu-us-per-text), is the SUT. Tests that measure the
// machine's contention run alone (tag [serial]: RUN_SERIAL in tests/CMakeLists.txt).

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

// 100 batches of 8 texts a second; each text costs the service `cpu_us` more of CPU.
json text_scenario(long cpu_us) {
  json s = json::parse(R"({
    "name": "timing",
    "sut": {"command": ["{bindir}/memgate-text-service", "--stdin"],
            "ready": {"log": "text-service ready", "timeout_s": 20}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.3, "load_s": 2, "cooldown_s": 0.3},
    "driver": {"type": "text-batch", "transport": "stdin", "batch_size": 8, "rate_per_s": 100,
               "texts": {"generate": {"count": 400, "seed": 5}}},
    "repeat": 3,
    "gate": {"peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
             "plateau_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
             "latency_p99_ms": {"max_increase_pct": 20, "min_increase_ms": 0.2},
             "cpu_us_per_op": {"max_increase_pct": 15, "min_increase_us": 2},
             "max_reruns": 0}
  })");
  s["sut"]["command"].push_back("--cpu-us-per-text");
  s["sut"]["command"].push_back(std::to_string(cpu_us));
  return s;
}

json report_of(const TempDir& dir, const std::string& folder) {
  const std::string text = slurp(dir.file(folder + "/report.json"));
  REQUIRE_FALSE(text.empty());
  return json::parse(text);
}

// One busy-looping process per CPU: a neighbour that takes the whole machine it can.
class Spinners {
 public:
  Spinners() {
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < std::max(1L, cpus); ++i) {
      LaunchSpec spec;
      spec.argv = {test_sut(), "--spin"};
      spec.watched_texts = {"spinning"};
      spinners_.push_back(std::make_unique<SutProcess>(spec));
      REQUIRE(
          spinners_.back()->output()->wait_for_count("spinning", 1, 30'000, [] { return true; }));
    }
  }
  ~Spinners() {
    for (auto& s : spinners_) s->stop(0);
  }

 private:
  std::vector<std::unique_ptr<SutProcess>> spinners_;
};

std::map<std::string, std::string> statuses(const json& report) {
  std::map<std::string, std::string> out;
  for (const auto& c : report["verdict"]["checks"]) {
    if (!c["budget"].get<bool>()) out[c["metric"]] = c["status"];
  }
  return out;
}

}  // namespace

TEST_CASE("timing: cpu_us_per_op of a SUT with a known CPU cost per text is within 10% of it") {
  TempDir dir;
  const std::string file = dir.write("timing.json", text_scenario(1000).dump());
  const auto r = run_memgate({"run", file, "--out", dir.file("out"), "--repeat", "1", "--quiet"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json run = report_of(dir, "out")["runs"][0];
  const double cpu_us = run["metrics"]["cpu_us_per_op"].get<double>();
  CHECK(cpu_us >= 1000 * 0.9);
  CHECK(cpu_us <= 1000 * 1.1);
  // Every phase says where the CPU went.
  std::set<std::string> phases;
  for (const auto& c : run["cpu"]) phases.insert(c["phase"]);
  CHECK(phases == std::set<std::string>{"idle", "load", "cooldown"});
}

TEST_CASE("timing: a spinning neighbour's contention is above 30%, a quiet run's below 10%",
          "[serial]") {
  TempDir dir;
  const std::string file = dir.write("timing.json", text_scenario(100).dump());
  const auto quiet =
      run_memgate({"run", file, "--out", dir.file("quiet"), "--repeat", "1", "--quiet"});
  INFO(quiet.output);
  REQUIRE(quiet.exit_code == 0);
  const double quiet_pct =
      report_of(dir, "quiet")["runs"][0]["metrics"]["contention_pct"].get<double>();
  CHECK(quiet_pct < 10);
  Spinners neighbour;
  const auto busy =
      run_memgate({"run", file, "--out", dir.file("busy"), "--repeat", "1", "--quiet"});
  INFO(busy.output);
  REQUIRE(busy.exit_code == 0);
  const double busy_pct =
      report_of(dir, "busy")["runs"][0]["metrics"]["contention_pct"].get<double>();
  CHECK(busy_pct > 30);
}

TEST_CASE("timing: under contention latency is unjudged and the exit code follows memory",
          "[serial]") {
  TempDir dir;
  json scenario = text_scenario(100);
  // About contention only: a spinner on every core also slows the speed index's workload (by
  // up to 1.5x here), which would leave CPU per operation unjudged for the host's speed instead.
  scenario["gate"]["max_speed_diff_pct"] = 1000;
  const std::string file = dir.write("timing.json", scenario.dump());
  const auto base =
      run_memgate({"baseline", file, "--baselines", dir.file("b"), "--repeat", "3", "--quiet"}, 170,
                  {}, dir.path());
  INFO(base.output);
  REQUIRE(base.exit_code == 0);
  Spinners neighbour;
  const auto same = run_memgate({"check", file, "--baselines", dir.file("b"), "--out",
                                 dir.file("same"), "--history", "none", "--quiet"},
                                170);
  INFO(same.output);
  const json report = report_of(dir, "same");
  CHECK(report["metrics"]["contention_pct"].get<double>() > 10);
  CHECK(statuses(report)["latency_p99_ms"] == "unjudged");
  CHECK(statuses(report)["peak_bytes"] == "pass");
  CHECK(statuses(report)["cpu_us_per_op"] != "unjudged");  // CPU time is judged
  CHECK(same.exit_code == 0);
  const auto leak = run_memgate({"check", file, "--baselines", dir.file("b"), "--out",
                                 dir.file("leak"), "--history", "none", "--quiet"},
                                170, {{"MG_TEXT_SERVICE_EXTRA", "--leak-bytes-per-text 40000"}});
  INFO(leak.output);
  CHECK(leak.exit_code == 1);
  CHECK(statuses(report_of(dir, "leak"))["latency_p99_ms"] == "unjudged");
}

// Judges latency from 5 pairs: a neighbour test that comes and goes between the pairs (under
// ASan, a text-batch run beside it made B's p99 21% "better" in all 5) is what pairing cannot
// cancel, so it runs alone.
TEST_CASE("timing: memgate ab with identical sides passes", "[serial]") {
  TempDir dir;
  // The file's program does not exist: only --set, applied to both sides, makes them runnable.
  json scenario = text_scenario(100);
  scenario["sut"]["command"][0] = "{bindir}/no-such-program";
  // The median batch's latency: the p99 of 200 batches is their second-slowest, which a hiccup
  // of the machine moves by 30% between identical sides, too close to call in 5 pairs.
  scenario["gate"].erase("latency_p99_ms");
  scenario["gate"]["latency_p50_ms"] = {{"max_increase_pct", 20}, {"min_increase_ms", 0.2}};
  const std::string file = dir.write("timing.json", scenario.dump());
  const auto r = run_memgate({"ab", file, "--out", dir.file("ab"), "--quiet", "--set",
                              "sut.command.0=\"{bindir}/memgate-text-service\""},
                             170);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const json report = report_of(dir, "ab");
  CHECK(report["runs"].size() == 5);
  CHECK(report["verdict"]["ab"]["a_runs"].size() == 5);
  CHECK(report["verdict"]["ab"]["overrides"].size() == 1);
  CHECK(report["verdict"]["status"] == "pass");
}

TEST_CASE("timing: memgate ab catches B's leak on memory") {
  TempDir dir;
  const std::string file = dir.write("timing.json", text_scenario(100).dump());
  const auto r = run_memgate({"ab", file, "--out", dir.file("ab"), "--quiet", "--b-env",
                              "MG_TEXT_SERVICE_EXTRA=--leak-bytes-per-text 40000"},
                             170);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(statuses(report_of(dir, "ab")).at("peak_bytes") == "regressed");
}

TEST_CASE("timing: memgate ab catches B's 30% more CPU per operation") {
  TempDir dir;
  const std::string file = dir.write("timing.json", text_scenario(100).dump());
  const auto r = run_memgate({"ab", file, "--out", dir.file("ab"), "--quiet", "--a-set",
                              "sut.command.3=\"100\"", "--b-set", "sut.command.3=\"130\""},
                             170);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  const json report = report_of(dir, "ab");
  const auto s = statuses(report);
  CHECK(s.at("cpu_us_per_op") == "regressed");
  CHECK(s.at("peak_bytes") == "pass");
  // The reason gives the effect and the pairs' signs.
  for (const auto& c : report["verdict"]["checks"]) {
    if (c["metric"] == "cpu_us_per_op") {
      CHECK_THAT(c["reason"].get<std::string>(), Catch::Contains("B worse in 5, better in 0"));
    }
  }
}

TEST_CASE("timing: memgate ab refuses pairs that can never show a regression") {
  TempDir dir;
  const std::string file = dir.write("timing.json", text_scenario(100).dump());
  const auto r = run_memgate({"ab", file, "--out", dir.file("ab"), "--pairs", "4"}, 60);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("--pairs 4") && Catch::Contains("use --pairs 5 or more"));
  CHECK_FALSE(std::filesystem::exists(dir.file("ab")));  // nothing ran
}
