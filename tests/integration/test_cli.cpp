// The memgate command line as a black box: exit codes, messages, files, signals.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "runtime/process/sut_process.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

constexpr std::int64_t MiB = 1024 * 1024;

const char* kGoodScenario = R"({
  "name": "good",
  "sut": {"command": ["{bindir}/mg-test-sut", "--hold"], "ready": {"log": "holding"}},
  "phases": {"idle_s": 1, "load_s": 2},
  "driver": {"type": "redis-queue", "port": "{port}"}
})";

}  // namespace

TEST_CASE("cli: --version and usage errors") {
  const auto version = run_memgate({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Catch::Contains(MEMGATE_VERSION));
  CHECK(run_memgate({}).exit_code == 2);
  CHECK(run_memgate({"frobnicate"}).exit_code == 2);
  CHECK(run_memgate({"watch"}).exit_code == 2);
  CHECK(run_memgate({"watch", "--interval-ms", "0", "--", "true"}).exit_code == 2);
}

TEST_CASE("cli: validate accepts a good file and names the JSON path of a bad one") {
  TempDir dir;
  const auto good = dir.write("good.json", kGoodScenario);
  auto ok = run_memgate({"validate", good});
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("ok") && Catch::Contains("'good'"));

  json bad = json::parse(kGoodScenario);
  bad["driver"]["pipeline"] = 0;
  const auto bad_file = dir.write("bad.json", bad.dump());
  auto r = run_memgate({"validate", good, bad_file});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains(bad_file + ": /driver/pipeline: expected a whole number "
                                                  "from 1 to 4096, got 0"));
  CHECK_THAT(r.output, Catch::Contains("1 of 2 scenario file(s) invalid"));

  r = run_memgate({"validate", dir.file("missing.json")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("missing.json: cannot read"));

  const auto garbage = dir.write("garbage.json", "{\"name\": ");
  r = run_memgate({"validate", garbage});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("garbage.json: not valid JSON"));

  const auto huge = dir.write("huge.json", "\"" + std::string(10 * MiB, 'x') + "\"");
  r = run_memgate({"validate", huge});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("larger than the 1.00 MiB limit"));
}

TEST_CASE("cli: watch prints a summary and writes the report shape") {
  TempDir dir;
  const auto r = run_memgate({"watch", "--interval-ms", "5", "--out", dir.file("w.json"), "--",
                              test_sut(), "--alloc-mib", "50"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("mg-test-sut exited with status 0") &&
                           Catch::Contains("peak") && Catch::Contains("samples every 5 ms"));
  const json report = json::parse(slurp(dir.file("w.json")));
  CHECK(report["schema_version"] == 1);
  CHECK(report["scenario"] == "mg-test-sut");
  CHECK(report["driver"] == "command");
  CHECK(report["environment"].contains("cpu_model"));
  CHECK(report["environment"].contains("kernel"));
  CHECK_FALSE(report.contains("verdict"));
  REQUIRE(report["runs"].size() == 1);
  const json& run = report["runs"][0];
  CHECK(run["valid"] == true);
  CHECK(run["metrics"]["peak_bytes"].get<std::int64_t>() >= 50 * MiB);
  CHECK(report["metrics"]["peak_bytes"] == run["metrics"]["peak_bytes"]);
  CHECK(run["phases"][0]["name"] == "load");
  REQUIRE(run["samples"].size() >= 1);
  CHECK(run["samples"][0].size() == 2);  // [t_ms, bytes]
  // [t_ms, anon_bytes] at the same times: the anonymous part of each sample.
  REQUIRE(run["anon_samples"].size() == run["samples"].size());
  for (std::size_t i = 0; i < run["samples"].size(); ++i) {
    CHECK(run["anon_samples"][i][0] == run["samples"][i][0]);
    CHECK(run["anon_samples"][i][1].get<std::int64_t>() <= run["samples"][i][1].get<std::int64_t>());
  }
  CHECK(run["metrics"]["peak_anon_bytes"].get<std::int64_t>() <=
        run["metrics"]["peak_bytes"].get<std::int64_t>());
  CHECK(run["watch"]["interval_ms"] == 5);
}

TEST_CASE("cli: watch of a failing or missing command is exit 3 with the reason") {
  auto r = run_memgate({"watch", "--", test_sut(), "--exit-code", "7"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("error: the command exited with status 7"));
  r = run_memgate({"watch", "--", test_sut(), "--crash"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("killed by signal 11 (SIGSEGV)"));
  r = run_memgate({"watch", "--", "no-such-program-xyz"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("'no-such-program-xyz' not found on PATH"));
}

namespace {

// Starts `memgate watch` over a SUT tree (2 children, a daemon in a session of its own whose
// parent is gone, all ignoring SIGTERM), sends memgate `sig` once the SUT holds, and checks that
// memgate stops every process of the tree: the daemon escapes the process group and the
// parent-death signal, so only the tree walk (orphans re-parented to memgate) finds it.
void check_no_survivor_after(int sig) {
  TempDir dir;
  const auto memgate = start_memgate_until(
      {"watch", "--stop-grace-s", "0.5", "--", test_sut(), "--children", "2", "--child-mib", "1",
       "--daemon-child", "--ignore-sigterm", "--hold"},
      dir.file("out.log"), "holding");
  const auto pids = printed_pids(slurp(dir.file("out.log")));
  REQUIRE(pids.size() == 4);  // the SUT, two children, the daemon
  for (int pid : pids) REQUIRE(process_alive(pid));

  ::kill(memgate->pid(), sig);
  const auto exit = memgate->wait_exit(60'000);
  REQUIRE(exit);
  CHECK(exit->exited_normally());
  CHECK(exit->exit_code() == 3);
  memgate->output()->stop();
  CHECK_THAT(slurp(dir.file("out.log")),
             Catch::Contains(std::string("interrupted by SIG") + sigabbrev_np(sig)));
  for (int pid : pids) CHECK_FALSE(process_alive(pid));
}

}  // namespace

TEST_CASE("cli: SIGINT to memgate stops the whole SUT tree, stubborn members included") {
  check_no_survivor_after(SIGINT);
}

TEST_CASE("cli: SIGTERM to memgate stops the whole SUT tree, stubborn members included") {
  check_no_survivor_after(SIGTERM);
}

TEST_CASE("cli: SIGHUP to memgate stops the whole SUT tree, stubborn members included") {
  check_no_survivor_after(SIGHUP);
}
