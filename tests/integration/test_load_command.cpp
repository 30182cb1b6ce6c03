// Bring your own load (docs/scenarios.md, "The load-command driver"): real load generators as the
// driver (wrk, redis-benchmark, a team's enqueue script through redis-py), started by `memgate run`
// as a black box; their memory apart from the SUT's; failures and interrupts that leave no process.
// Skipped (CTest) when wrk, redis-server or python3-redis is missing; under CI=true that fails.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>

#include "runtime/watch/task_exits.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

constexpr double MiB = 1024 * 1024;

std::string source(const std::string& path) {
  return std::string(MEMGATE_SOURCE_DIR) + "/" + path;
}

struct Outcome {
  CliResult cli;
  json report;
};

Outcome run(const TempDir& dir, const json& scenario) {
  const std::string file = dir.write("byo.json", scenario.dump());
  Outcome o{run_memgate({"run", file, "--out", dir.file("out"), "--quiet"}, 170), json()};
  const std::string report = slurp(dir.file("out/report.json"));
  if (!report.empty()) o.report = json::parse(report);
  return o;
}

// A mg-test-sut service loaded by `load`, a load-command driver's keys.
json test_sut_scenario(const json& load) {
  json s = json::parse(R"({
    "name": "byo",
    "sut": {"command": ["SUT", "--alloc-mib", "8", "--ready-text", "sut ready", "--hold"],
            "ready": {"log": "sut ready"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_s": 30, "cooldown_s": 0.2},
    "driver": {"type": "load-command", "stop_grace_s": 1}
  })");
  s["sut"]["command"][0] = test_sut();
  s["driver"].update(load);
  return s;
}

// A queue's Redis as the service "redis", for a worker SUT.
json with_redis_service(json scenario) {
  scenario["services"]["redis"] = json::parse(R"({
    "command": ["redis-server", "--port", "{port:redis}", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"],
    "ready": {"tcp": "127.0.0.1:{port:redis}"}})");
  return scenario;
}

// wrk's duration as it printed it ("440.00us", "0.89ms"), in ms.
double wrk_ms(const std::string& text) {
  const double v = std::stod(text);
  if (text.find("us") != std::string::npos) return v / 1000;
  if (text.find("ms") != std::string::npos) return v;
  return v * 1000;
}

}  // namespace

TEST_CASE("load command: wrk against the text service: ops and latency are wrk's own summary") {
  require_tool("wrk", "wrk");
  TempDir dir;
  json s = json::parse(R"({
    "name": "wrk",
    "sut": {"command": ["SERVICE", "--port", "{port}"], "ready": {"log": "listening on"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "warmup_s": 1, "load_s": 2, "cooldown_s": 0.2},
    "driver": {"type": "load-command", "parser": "wrk",
               "command": ["wrk", "-t1", "-c2", "-d{load_s}s", "--latency", "-s", "LUA",
                           "http://127.0.0.1:{port}/embed", "--", "8", "3"]}
  })");
  s["sut"]["command"][0] = bindir() + "/memgate-text-service";
  s["driver"]["command"][6] = source("scenarios/load/embed_batches.lua");
  const auto o = run(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  // What wrk printed, read here on its own: the report says the same.
  const std::string summary = slurp(dir.file("out/run1/load.out"));
  INFO(summary);
  std::smatch m;
  REQUIRE(std::regex_search(summary, m, std::regex(R"(([0-9]+) requests in)")));
  const long requests = std::stol(m[1]);
  CHECK(requests > 0);
  CHECK(run["metrics"]["ops"] == requests);
  CHECK(run["metrics"]["errors"] == 0);
  // The percentiles from the "Latency Distribution" block only: the "+/- Stdev" column above it
  // can end in "50%" too ("94.50%").
  const auto block = summary.find("Latency Distribution");
  REQUIRE(block != std::string::npos);
  const std::string distribution = summary.substr(block);
  REQUIRE(std::regex_search(distribution, m, std::regex(R"(\n\s*50%\s+(\S+))")));
  CHECK(run["metrics"]["latency_ms"]["p50"].get<double>() == Approx(wrk_ms(m[1])));
  REQUIRE(std::regex_search(distribution, m, std::regex(R"(\n\s*99%\s+(\S+))")));
  CHECK(run["metrics"]["latency_ms"]["p99"].get<double>() == Approx(wrk_ms(m[1])));
  REQUIRE(std::regex_search(summary, m, std::regex(R"(Latency\s+\S+\s+\S+\s+(\S+))")));
  CHECK(run["metrics"]["latency_ms"]["max"].get<double>() == Approx(wrk_ms(m[1])));
  CHECK_FALSE(run["metrics"]["latency_ms"].contains("p95"));
  CHECK(run["metrics"]["throughput_per_s"].get<double>() > 0);
  // One wrk per phase, each given its phase's seconds, both outside the SUT's tree.
  const json& commands = run["driver"]["commands"];
  REQUIRE(commands.size() == 2);
  CHECK(commands[0]["command"][3] == "-d1s");
  CHECK(commands[1]["command"][3] == "-d2s");
  CHECK(commands[1]["stopped_by_memgate"] == false);  // it ended by itself: its summary is there
  int wrk_processes = 0;
  for (const auto& p : run["processes"]) {
    if (p["name"] == "wrk") {
      CHECK(p["role"] == "load");
      ++wrk_processes;
    }
  }
  CHECK(wrk_processes == 2);
  CHECK(run["roles"]["load"]["metrics"]["peak_bytes"].get<double>() > 1 * MiB);
  CHECK(run["roles"]["load"]["gated"] == false);
  // wrk's CPU is the load's, not a neighbour's: the timing checks stay judged.
  for (const auto& c : run["cpu"]) {
    if (c["phase"] == "load") CHECK(c["load_ms"].get<double>() > 0);
  }
}

TEST_CASE("load command: a json-line script enqueues N jobs for the worker: ops = N, all taken") {
  require_tool("redis-server", "redis-server");
  require_python_module("redis", "python3-redis");
  TempDir dir;
  json s = with_redis_service(json::parse(R"({
    "name": "enqueue",
    "sut": {"command": ["/usr/bin/python3", "WORKER", "--redis", "127.0.0.1:{port:redis}",
                        "--queue", "jobs"],
            "ready": {"log": "worker ready", "timeout_s": 30}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 2000, "load_timeout_s": 120, "cooldown_s": 0.3},
    "driver": {"type": "load-command", "parser": "json-line",
               "command": ["/usr/bin/python3", "ENQUEUE", "--redis", "127.0.0.1:{port:redis}",
                           "--queue", "jobs", "--jobs", "{ops}"],
               "drain": {"redis": "redis", "queue_names": ["jobs"]}}
  })"));
  s["sut"]["command"][1] = source("tests/workers/redis_worker.py");
  s["driver"]["command"][1] = source("tests/workers/enqueue_jobs.py");
  const auto o = run(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  CHECK(run["driver"]["commands"][0]["command"].back() == "2000");
  CHECK(run["metrics"]["ops"] == 2000);
  CHECK(run["metrics"]["latency_ms"]["count"] == 2000);
  CHECK(run["metrics"]["latency_ms"].contains("max"));
  // The load phase lasted until the worker had taken every job.
  CHECK(run["metrics"]["backlog_jobs"]["final"] == 0);
  const std::string worker_log = slurp(dir.file("out/run1/sut.log"));
  INFO(worker_log);
  CHECK_THAT(worker_log, Catch::Contains("worker stopped after 2000 jobs"));
}

TEST_CASE("load command: a worker slower than the load is an invalid run naming the backlog") {
  require_tool("redis-server", "redis-server");
  require_python_module("redis", "python3-redis");
  TempDir dir;
  // 400 jobs enqueued at once; the worker takes 20 ms a job (8 s): the load phase of 1 s (and
  // its overrun) ends with most of them still queued, though the script finished.
  json s = with_redis_service(json::parse(R"({
    "name": "slow",
    "sut": {"command": ["/usr/bin/python3", "WORKER", "--redis", "127.0.0.1:{port:redis}",
                        "--queue", "jobs", "--work-ms", "20"],
            "ready": {"log": "worker ready", "timeout_s": 30}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_s": 1, "cooldown_s": 0.2},
    "driver": {"type": "load-command", "parser": "json-line", "overrun_s": 0.5,
               "command": ["/usr/bin/python3", "ENQUEUE", "--redis", "127.0.0.1:{port:redis}",
                           "--queue", "jobs", "--jobs", "400"],
               "drain": {"redis": "redis", "queue_names": ["jobs"]}}
  })"));
  s["sut"]["command"][1] = source("tests/workers/redis_worker.py");
  s["driver"]["command"][1] = source("tests/workers/enqueue_jobs.py");
  const auto o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  const json& run = o.report["runs"][0];
  CHECK_FALSE(run["valid"].get<bool>());
  const std::int64_t undrained = run["driver"]["undrained_jobs"];
  CHECK(undrained > 100);
  const std::string problem = run["problems"][0];
  CHECK_THAT(problem,
             Catch::Contains(fmt::format("the SUT finished {} of the 400 jobs", 400 - undrained)) &&
                 Catch::Contains(fmt::format("{} still queued in jobs", undrained)));
  CHECK_THAT(o.cli.output, Catch::Contains("still queued"));
  // The work that was not done is counted nowhere.
  CHECK(run["metrics"]["ops"] == 400 - undrained);
}

TEST_CASE(
    "load command: a real RQ worker fed through Queue.enqueue: every job done, the script apart") {
  require_tool("redis-server", "redis-server");
  require_python_module("rq", "python3-rq");
  TempDir dir;
  json s = with_redis_service(json::parse(R"({
    "name": "rq",
    "sut": {"command": ["/usr/bin/python3", "-m", "rq.cli", "worker", "--url",
                        "redis://127.0.0.1:{port:redis}", "default"],
            "cwd": "WORKERS", "ready": {"log": "Listening on", "timeout_s": 30}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 200, "load_timeout_s": 120, "cooldown_s": 0.5},
    "driver": {"type": "load-command", "parser": "json-line",
               "command": ["/usr/bin/python3", "ENQUEUE", "--rq", "--redis",
                           "127.0.0.1:{port:redis}", "--queue", "default", "--jobs", "{ops}"],
               "drain": {"redis": "redis", "queue_names": ["rq:queue:default"]}}
  })"));
  s["sut"]["cwd"] = source("tests/workers");
  s["driver"]["command"][1] = source("tests/workers/enqueue_jobs.py");
  const auto o = run(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  CHECK(run["metrics"]["ops"] == 200);
  CHECK(run["metrics"]["backlog_jobs"]["final"] == 0);
  // The worker (a work horse forked per job) ran every job the script enqueued.
  const std::string log = slurp(dir.file("out/run1/sut.log"));
  std::size_t done = 0;
  for (auto at = log.find("Job OK"); at != std::string::npos; at = log.find("Job OK", at + 1)) {
    ++done;
  }
  CHECK(done == 200);
  // The script (redis-py and rq imported: tens of MiB) is the load's, none of it the worker's.
  CHECK(run["roles"]["load"]["metrics"]["peak_bytes"].get<double>() > 10 * MiB);
  for (const auto& p : run["processes"]) {
    const std::string command = p["command_line"];
    if (command.find("enqueue_jobs.py") != std::string::npos) CHECK(p["role"] == "load");
    if (command.find("rq.cli") != std::string::npos) CHECK(p["role"] == "sut");
  }
}

TEST_CASE("load command: a 200 MiB load generator is in the role 'load', not in the SUT's peak") {
  TempDir dir;
  const auto o = run(
      dir, test_sut_scenario({{"command", {test_sut(), "--alloc-mib", "200", "--run-ms", "300"}}}));
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  CHECK(run["metrics"]["peak_bytes"].get<double>() >= 8 * MiB);
  CHECK(run["metrics"]["peak_bytes"].get<double>() < 64 * MiB);
  CHECK(run["roles"]["load"]["metrics"]["peak_bytes"].get<double>() >= 200 * MiB);
  for (const auto& p : run["processes"]) {
    const double peak = p["peak_bytes"].get<double>();
    if (p["role"] == "sut") CHECK(peak < 64 * MiB);
    if (p["role"] == "load") CHECK(peak >= 200 * MiB);
  }
  // It exited 0: its work was done, and the load phase ended (long before its 30 s).
  CHECK(run["driver"]["commands"][0]["stopped_by_memgate"] == false);
  // No parser: nothing is claimed about operations.
  CHECK_FALSE(run["metrics"].contains("throughput_per_s"));
}

TEST_CASE("load command: a warm-up's command and the load's, one after the other, are not summed") {
  std::string why_not;
  if (!TaskExitFeed::open(why_not)) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("CI=true runs as root: " << why_not);
    skip_test("no kernel exit records on this machine: " + why_not);
  }
  TempDir dir;
  json s = test_sut_scenario({{"command", {test_sut(), "--alloc-mib", "40", "--run-ms", "300"}}});
  s["phases"] = {{"idle_s", 0.2}, {"warmup_s", 5}, {"load_s", 5}, {"cooldown_s", 0.2}};
  const auto o = run(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  std::vector<double> load_rows;
  for (const auto& p : run["processes"]) {
    if (p["role"] == "load") load_rows.push_back(p["peak_bytes"].get<double>());
  }
  REQUIRE(load_rows.size() == 2);  // the warm-up's and the load's
  const double one = std::max(load_rows[0], load_rows[1]);
  CHECK(std::min(load_rows[0], load_rows[1]) >= 40 * MiB);
  const double role_peak = run["roles"]["load"]["metrics"]["peak_bytes"].get<double>();
  CHECK(role_peak >= one);
  CHECK(role_peak < 1.1 * one);  // never both at once
}

TEST_CASE("load command: one that fails is exit 3 with its last lines") {
  TempDir dir;
  const auto o =
      run(dir, test_sut_scenario(
                   {{"command",
                     {test_sut(), "--ready-text", "cannot reach the queue", "--exit-code", "3"}}}));
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output,
             Catch::Contains("the load command exited with status 3 during the load phase"));
  CHECK_THAT(o.cli.output, Catch::Contains("last lines of the load command's output"));
  CHECK_THAT(o.cli.output, Catch::Contains("| cannot reach the queue"));
  CHECK(o.report["runs"][0]["log_tail_role"] == "load");
}

TEST_CASE("load command: one that cannot start is exit 3 naming it") {
  TempDir dir;
  const auto o = run(dir, test_sut_scenario({{"command", {"no-such-loadgen-xyz"}}}));
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("'no-such-loadgen-xyz' not found on PATH"));
}

TEST_CASE("load command: output no parser can read is exit 3 naming the parser and its last line") {
  TempDir dir;
  const auto o = run(dir, test_sut_scenario({{"command", {"/bin/echo", "all jobs sent"}},
                                             {"parser", "json-line"}}));
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("the json-line parser expected the load command's "
                                           "last line to be a JSON object"));
  CHECK_THAT(o.cli.output, Catch::Contains("its last line: 'all jobs sent'"));
}

TEST_CASE("load command: one that never ends with a parser is stopped after overrun_s: exit 3") {
  TempDir dir;
  json s = test_sut_scenario(
      {{"command", {test_sut(), "--hold"}}, {"parser", "json-line"}, {"overrun_s", 0.3}});
  s["phases"]["load_s"] = 0.5;
  const auto o = run(dir, s);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("the load command had not finished when memgate "
                                           "stopped it"));
  CHECK_THAT(o.cli.output, Catch::Contains("nothing the json-line parser could read"));
}

TEST_CASE("load command: SIGINT to memgate mid-load leaves no process of the load command") {
  TempDir dir;
  const std::string token = fresh_token();
  json s = test_sut_scenario({{"command",
                               {test_sut(), "--children", "2", "--child-mib", "1", "--daemon-child",
                                "--ignore-sigterm", "--hold"}},
                              {"env", {{"MG_FAULT_TOKEN", token}}},
                              {"stop_grace_s", 0.5}});
  const std::string file = dir.write("byo.json", s.dump());
  const auto memgate = start_memgate_until({"run", file, "--out", dir.file("out")},
                                           dir.file("memgate.log"), "run 1/1: load");
  // The load command says when its tree is whole; the test waits for that line, bounded.
  std::vector<int> pids;
  for (int i = 0; i < 3000 && pids.size() < 4; ++i) {
    pids = printed_pids(slurp(dir.file("out/run1/load.out")));
    if (pids.size() < 4) ::usleep(10'000);
  }
  REQUIRE(pids.size() == 4);  // the command, two children, the daemon
  REQUIRE(token_holders(token).size() == 4);
  ::kill(memgate->pid(), SIGINT);
  const auto exit = memgate->wait_exit(60'000);
  REQUIRE(exit);
  CHECK(exit->exit_code() == 3);
  memgate->output()->stop();
  CHECK_THAT(slurp(dir.file("memgate.log")), Catch::Contains("interrupted by SIGINT"));
  for (int pid : pids) CHECK_FALSE(process_alive(pid));
  CHECK(token_holders(token).empty());
}

TEST_CASE("load command: redis-benchmark --csv against a Redis SUT: -n {ops} requests") {
  require_tool("redis-server", "redis-server");
  require_tool("redis-benchmark", "redis-tools");
  TempDir dir;
  const auto o = run(dir, json::parse(R"({
    "name": "bench",
    "sut": {"command": ["redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"],
            "ready": {"tcp": "127.0.0.1:{port}"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 5000, "load_timeout_s": 60, "cooldown_s": 0.2},
    "driver": {"type": "load-command", "parser": "redis-benchmark",
               "command": ["redis-benchmark", "-h", "127.0.0.1", "-p", "{port}", "-n", "{ops}",
                           "-c", "4", "-t", "lpush", "--csv"]}
  })"));
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& m = o.report["runs"][0]["metrics"];
  CHECK(m["ops"] == 5000);
  CHECK(m["latency_ms"].contains("p95"));
  CHECK(m["latency_ms"]["p50"].get<double>() <= m["latency_ms"]["p99"].get<double>());
}
