// Services and workers: a real redis-server as a service and a real worker as the SUT (the
// Python worker of tests/workers, with Debian's python3-redis), through `memgate run` and
// `memgate check` as a black box. Skipped (CTest) when redis-server or python3-redis is missing;
// under CI=true that fails.

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

constexpr double MiB = 1024 * 1024;

std::string worker_py() {
  return std::string(MEMGATE_SOURCE_DIR) + "/tests/workers/redis_worker.py";
}

void require_worker() {
  require_tool("redis-server", "redis-server");
  require_python_module("redis", "python3-redis");
}

// The worker consuming "jobs" and acking on "acks", Redis as a service whose configuration comes
// from a `files` template; every process carries the token.
json worker_scenario(const TempDir& dir, const std::string& token) {
  dir.write("redis.conf.in",
            "port {port:redis}\nbind 127.0.0.1\nsave \"\"\nappendonly no\n"
            "# written by memgate into {run_dir}\n");
  json s = json::parse(R"({
    "name": "worker",
    "services": {
      "redis": {"command": ["redis-server", "{run_dir}/redis.conf"],
                "files": {"redis.conf": "redis.conf.in"},
                "ready": {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 10}, "stop_grace_s": 2}
    },
    "sut": {"command": ["/usr/bin/python3", "WORKER", "--redis", "127.0.0.1:{port:redis}",
                        "--queue", "jobs", "--ack-queue", "acks"],
            "ready": {"log": "worker ready", "timeout_s": 30}, "stop_grace_s": 5},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.3, "load_ops": 3000, "cooldown_s": 0.3},
    "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"], "consumers": 0,
               "pipeline": 16,
               "job": {"template": "{\"id\":\"{job_id}\",\"text\":{text_json}}",
                       "texts": {"generate": {"count": 500, "seed": 3}}},
               "completion": {"ack_queue": "acks"}}
  })");
  s["sut"]["command"][1] = worker_py();
  s["sut"]["env"] = {{"MG_FAULT_TOKEN", token}};
  s["services"]["redis"]["env"] = {{"MG_FAULT_TOKEN", token}};
  return s;
}

struct Outcome {
  CliResult cli;
  json report;
  std::string worker_log;
};

Outcome run_file(const TempDir& dir, const json& scenario, std::vector<std::string> extra = {},
                 const std::map<std::string, std::string>& env = {}) {
  const std::string file = dir.write("worker.json", scenario.dump());
  std::vector<std::string> args{"run", file, "--out", dir.file("out"), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o{run_memgate(args, 170, env), json(), slurp(dir.file("out/run1/sut.log"))};
  const std::string report = slurp(dir.file("out/report.json"));
  if (!report.empty()) o.report = json::parse(report);
  return o;
}

// "worker stopped after N jobs": the worker's own count.
long worker_jobs(const std::string& log) {
  std::smatch m;
  static const std::regex kDone("worker stopped after ([0-9]+) jobs");
  REQUIRE(std::regex_search(log, m, kDone));
  return std::stol(m[1]);
}

}  // namespace

TEST_CASE("workers: Redis is a service: its memory is its own, the worker's is the SUT's") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  const Outcome o = run_file(dir, worker_scenario(dir, token));
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  // The jobs memgate counted done are the jobs the worker says it finished.
  CHECK(run["metrics"]["ops"] == 3000);
  CHECK(worker_jobs(o.worker_log) == 3000);
  CHECK(run["driver"]["jobs_completed"]["load"] == 3000);
  CHECK(run["metrics"]["latency_ms"]["count"] == 3000);
  // Redis's memory is the service's, not the SUT's: every process is in its own role.
  const json& redis = run["roles"]["services"]["redis"];
  const double redis_peak = redis["metrics"]["peak_bytes"].get<double>();
  const double sut_peak = run["metrics"]["peak_bytes"].get<double>();
  CHECK(redis_peak > 1 * MiB);
  CHECK(sut_peak > 5 * MiB);
  std::map<std::string, std::set<std::string>> roles_of;
  for (const auto& p : run["processes"]) roles_of[p["name"]].insert(p["role"]);
  CHECK(roles_of["redis-server"] == std::set<std::string>{"redis"});
  CHECK(roles_of["python3"] == std::set<std::string>{"sut"});
  // What one `sh -c` around both would have gated: the worker is well below it.
  CHECK(sut_peak < sut_peak + redis_peak - 1 * MiB);
  // The SUT's samples hold the worker alone: its plateau is not Redis's plus the worker's.
  CHECK(run["metrics"]["plateau_bytes"].get<double>() <= sut_peak);
  // Redis read its port from the configuration memgate wrote into the run's folder.
  const std::string conf = slurp(dir.file("out/run1/redis.conf"));
  CHECK_THAT(conf, Catch::Contains("port ") && Catch::Contains(dir.file("out/run1")));
  CHECK_FALSE(redis["figures"]["redis"].is_null());
  CHECK(redis["figures"]["redis"]["final"]["command_calls"]["lpush"] == 6000);  // jobs + acks
  CHECK(token_holders(token).empty());
}

TEST_CASE(
    "workers: drain completion counts the jobs that left the queue, no change to the worker") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  s["sut"]["command"] = json::array(
      {"/usr/bin/python3", worker_py(), "--redis", "127.0.0.1:{port:redis}", "--queue", "jobs"});
  s["driver"]["completion"] = {{"drain", true}};
  s["phases"]["load_ops"] = 2000;
  const Outcome o = run_file(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  CHECK(run["metrics"]["ops"] == 2000);
  CHECK(worker_jobs(o.worker_log) == 2000);
  CHECK_FALSE(run["metrics"].contains("latency_ms"));  // drain sees no job finish
  CHECK(run["driver"]["completion"] == "drain");
  CHECK(token_holders(token).empty());
}

TEST_CASE("workers: throughput over a timed load is the worker's own count within 2%") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  s["phases"].erase("load_ops");
  s["phases"]["load_s"] = 3;
  const Outcome o = run_file(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& run = o.report["runs"][0];
  const double ops = run["metrics"]["ops"].get<double>();
  const double worker = static_cast<double>(worker_jobs(o.worker_log));
  // No warm-up: the worker's jobs are the load's, plus the few in flight when the load stopped
  // (at most producers x pipeline = 16), finished in the cool-down.
  CHECK(ops > 100);
  CHECK(std::abs(worker - ops) <= 0.02 * worker);
  CHECK(run["driver"]["backlog_at_stop"].get<int>() <= 16);
}

TEST_CASE("workers: a worker slower than the rate makes the open model invalid, backlog named") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  s["phases"].erase("load_ops");
  s["phases"]["load_s"] = 2;
  s["driver"]["rate_per_s"] = 400;
  const Outcome o = run_file(dir, s, {}, {{"MG_WORKER_WORK_MS", "10"}});  // 100 jobs/s at most
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("could not keep up") &&
                               Catch::Contains("jobs still waiting in the queue"));
  REQUIRE(o.report.is_object());
  CHECK(o.report["runs"][0]["metrics"]["backlog_jobs"]["max"].get<int>() > 100);
  CHECK(token_holders(token).empty());
}

TEST_CASE("workers: a leaking worker fails check on the SUT's metrics, not on Redis's") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  s["phases"]["load_ops"] = 2000;
  s["repeat"] = 3;
  s["gate"] = {{"peak_bytes", {{"max_increase_pct", 10}, {"min_increase_bytes", 4194304}}},
               {"plateau_bytes", {{"max_increase_pct", 10}, {"min_increase_bytes", 4194304}}},
               {"max_reruns", 0}};
  const std::string file = dir.write("worker.json", s.dump());
  const auto base =
      run_memgate({"baseline", file, "--baselines", dir.file("b"), "--repeat", "3", "--quiet"}, 170,
                  {}, dir.path());
  INFO(base.output);
  REQUIRE(base.exit_code == 0);
  const auto same = run_memgate({"check", file, "--baselines", dir.file("b"), "--out",
                                 dir.file("same"), "--history", "none", "--quiet"},
                                170);
  INFO(same.output);
  CHECK(same.exit_code == 0);
  // 2000 jobs x 40 KB: about 80 MB more in the worker, nothing more in Redis.
  const auto leak = run_memgate({"check", file, "--baselines", dir.file("b"), "--out",
                                 dir.file("leak"), "--history", "none", "--quiet"},
                                170, {{"MG_WORKER_LEAK_BYTES_PER_JOB", "40000"}});
  INFO(leak.output);
  CHECK(leak.exit_code == 1);
  const json report = json::parse(slurp(dir.file("leak/report.json")));
  std::set<std::string> regressed;
  for (const auto& c : report["verdict"]["checks"]) {
    if (c["status"] == "regressed") regressed.insert(c["metric"]);
  }
  CHECK(regressed.count("peak_bytes") == 1);
  for (const auto& metric : regressed) CHECK(metric.rfind("services.", 0) == std::string::npos);
  CHECK(token_holders(token).empty());
}

TEST_CASE("workers: a service that dies mid-run is exit 3 naming it, and nothing is left") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  // A second service that exits by itself 1.5 s after it started: in the load phase.
  s["services"]["flaky"] = {
      {"command", {test_sut(), "--ready-text", "flaky up", "--run-ms", "1500"}},
      {"ready", {{"log", "flaky up"}}},
      {"env", {{"MG_FAULT_TOKEN", token}}}};
  s["phases"].erase("load_ops");
  s["phases"]["load_s"] = 30;
  const Outcome o = run_file(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("the service 'flaky' exited with status 0 during the "
                                           "load phase"));
  REQUIRE(o.report.is_object());
  CHECK(o.report["runs"][0]["roles"]["services"]["flaky"]["exit"] == "exited with status 0");
  // The worker was stopped warm, once.
  CHECK_THAT(o.worker_log, Catch::Contains("SIGTERM received 1 time(s)"));
  CHECK(token_holders(token).empty());
}

TEST_CASE("workers: every process of every role gets exactly one SIGTERM") {
  require_worker();
  TempDir dir;
  const std::string token = fresh_token();
  json s = worker_scenario(dir, token);
  // A service whose root and two children each count the SIGTERMs they get and exit 200 ms after
  // the first; its children outlive the root, so memgate must stop them too.
  s["services"]["counter"] = {{"command",
                               {test_sut(), "--count-sigterm", "200", "--children", "2",
                                "--child-mib", "1", "--ready-text", "counter up", "--hold"}},
                              {"ready", {{"log", "children-ready"}}},
                              {"env", {{"MG_FAULT_TOKEN", token}}}};
  s["phases"]["load_ops"] = 500;
  const Outcome o = run_file(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  CHECK_THAT(o.worker_log, Catch::Contains("SIGTERM received 1 time(s)"));
  const std::string counter_log = slurp(dir.file("out/run1/counter.log"));
  INFO(counter_log);
  const auto pids = printed_pids(counter_log);
  REQUIRE(pids.size() == 3);
  std::map<int, int> terms;
  static const std::regex kTerm("sigterm pid=([0-9]+)");
  for (auto it = std::sregex_iterator(counter_log.begin(), counter_log.end(), kTerm);
       it != std::sregex_iterator(); ++it) {
    ++terms[std::stoi((*it)[1])];
  }
  for (int pid : pids) CHECK(terms[pid] == 1);
  CHECK(o.report["runs"][0]["warnings"].empty());  // nobody needed SIGKILL
  CHECK(token_holders(token).empty());
}
