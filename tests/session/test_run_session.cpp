// The run session's phase logic and its reasons to stop, with a scripted backend: exact times
// (the fake clock moves only when the session sleeps), no processes, no sockets.

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/scenario/scenario_loader.hpp"
#include "runtime/run/run_session.hpp"
#include "session/fake_backend.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

// A worker with a Redis service: idle 1 s, warm-up 1 s, load 2 s, cool-down 1 s.
json worker_scenario() {
  return json::parse(R"({
    "name": "worker",
    "services": {
      "redis": {"command": ["redis-server", "--port", "{port:redis}"],
                "ready": {"tcp": "127.0.0.1:{port:redis}"}, "stop_grace_s": 3},
      "cache": {"command": ["memcached", "-p", "{port:cache}"], "stop_grace_s": 2}
    },
    "sut": {"command": ["worker", "--redis", "127.0.0.1:{port:redis}"],
            "ready": {"log": "worker ready"}, "stop_grace_s": 5},
    "phases": {"idle_s": 1, "warmup_s": 1, "load_s": 2, "cooldown_s": 1},
    "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"], "consumers": 0,
               "completion": {"ack_queue": "acks"}}
  })");
}

json command_scenario() {
  return json::parse(R"({"name": "cmd", "sut": {"command": ["batch-job"]},
                         "phases": {"warmup_s": 1, "load_timeout_s": 10},
                         "driver": {"type": "command"}})");
}

Scenario load(json j) {
  return parse_scenario(std::move(j), "s.json", {});
}

struct Outcome {
  RunRecord run;
  std::vector<std::string> events;
};

Outcome run(const json& scenario, Script script) {
  FakeBackend backend(std::move(script));
  SessionSettings settings;
  settings.run_dir = "/reports/worker/run1";
  Outcome o{run_session(load(scenario), backend, settings), {}};
  o.events = backend.events;
  return o;
}

std::vector<std::string> phase_names(const RunRecord& r) {
  std::vector<std::string> names;
  for (const auto& p : r.phases) names.push_back(p.name);
  return names;
}

// Where `event` is in the log (the log's size when it is not there).
std::size_t at(const std::vector<std::string>& events, const std::string& event) {
  return static_cast<std::size_t>(std::find(events.begin(), events.end(), event) - events.begin());
}

bool has(const std::vector<std::string>& events, const std::string& event) {
  return at(events, event) < events.size();
}

const int kExit0 = 0 << 8, kExit1 = 1 << 8;

}  // namespace

TEST_CASE("session: services start in order before the SUT and stop after it, in reverse, once") {
  const auto o = run(worker_scenario(), {});
  INFO(fmt::format("{}", fmt::join(o.events, " | ")));
  CHECK(o.run.valid);
  // Services start in file order ("redis" before "cache" when loaded from a file; here from
  // JSON: by name). Each is ready before the next starts; the SUT comes last.
  CHECK(at(o.events, "launch cache") < at(o.events, "launch redis"));
  CHECK(at(o.events, "launch redis") < at(o.events, "ready redis"));
  CHECK(at(o.events, "ready redis") < at(o.events, "launch sut"));
  CHECK(at(o.events, "launch sut") < at(o.events, "watch start"));
  CHECK(at(o.events, "watch start") < at(o.events, "ready sut"));
  // The SUT stops first (the workers finish with their Redis still up), then the services in
  // reverse order, each once, with its own grace.
  CHECK(at(o.events, "watch stop") < at(o.events, "stop sut grace 5000 ms"));
  CHECK(at(o.events, "stop sut grace 5000 ms") < at(o.events, "stop redis grace 3000 ms"));
  CHECK(at(o.events, "stop redis grace 3000 ms") < at(o.events, "stop cache grace 2000 ms"));
  CHECK(std::count_if(o.events.begin(), o.events.end(),
                      [](const std::string& e) { return e.rfind("stop ", 0) == 0; }) == 3);
  CHECK(has(o.events, "probe redis"));  // Redis's own figures are the service's
  REQUIRE(o.run.services.size() == 2);
  CHECK(o.run.services[1].role == "redis");
  CHECK(o.run.services[1].figures.contains("redis"));
  CHECK(o.run.sut_figures.empty());
  // The SUT's memory is the run's; each service's is its own.
  CHECK(*o.run.metrics.plateau_bytes == 10 << 20);
  CHECK(*o.run.services[0].metrics.plateau_bytes == 20 << 20);
  CHECK(*o.run.services[1].metrics.plateau_bytes == 30 << 20);
}

TEST_CASE("session: the phases follow each other at their planned times") {
  const auto o = run(worker_scenario(), {});
  REQUIRE(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
  const auto& p = o.run.phases;
  // The services and the SUT were ready 100 ms each (the script) after their launch.
  CHECK(p[0].start_ms == Approx(300).margin(1));
  for (std::size_t i = 1; i < p.size(); ++i) {
    CHECK(p[i].start_ms == Approx(p[i - 1].end_ms).margin(1));
  }
  CHECK(p[0].end_ms - p[0].start_ms == Approx(1000).margin(6));
  CHECK(p[1].end_ms - p[1].start_ms == Approx(1000).margin(6));
  CHECK(p[2].end_ms - p[2].start_ms == Approx(2000).margin(6));
  CHECK(p[3].end_ms - p[3].start_ms == Approx(1000).margin(6));
  // The driver connects after idle, starts the warm-up, counts from the load on.
  CHECK(at(o.events, "driver attach") < at(o.events, "driver connect"));
  CHECK(at(o.events, "driver connect") < at(o.events, "driver start"));
  CHECK(at(o.events, "driver start") < at(o.events, "driver begin_load"));
  CHECK(o.run.metrics.ops == 2000);  // 1000/s for the 2 s of load
  CHECK(*o.run.metrics.throughput_per_s == Approx(1000).epsilon(0.01));
}

TEST_CASE("session: without a warm-up the first operation belongs to the load") {
  json s = worker_scenario();
  s["phases"].erase("warmup_s");
  const auto o = run(s, {});
  CHECK(phase_names(o.run) == std::vector<std::string>{"idle", "load", "cooldown"});
  CHECK(at(o.events, "driver begin_load") < at(o.events, "driver start"));
}

TEST_CASE("session: load_ops ends the load when the limit is reached, throughput over that time") {
  json s = worker_scenario();
  s["phases"].erase("load_s");
  s["phases"]["load_ops"] = 500;
  Script script;
  script.driver.ops_per_s = 250;  // 500 operations take 2 s
  const auto o = run(s, script);
  REQUIRE(o.run.valid);
  const auto& load = o.run.phases[2];
  CHECK(load.name == "load");
  CHECK(load.end_ms - load.start_ms == Approx(2000).margin(1));
  CHECK(o.run.metrics.ops == 500);
  CHECK(*o.run.metrics.throughput_per_s == Approx(250).epsilon(0.001));
}

TEST_CASE("session: a load_ops load that does not finish in time names the count") {
  json s = worker_scenario();
  s["phases"].erase("load_s");
  s["phases"]["load_ops"] = 5000;
  s["phases"]["load_timeout_s"] = 2;
  Script script;
  script.driver.ops_per_s = 1000;
  const auto o = run(s, script);
  CHECK_FALSE(o.run.valid);
  REQUIRE_FALSE(o.run.problems.empty());
  CHECK_THAT(o.run.problems[0], Catch::Contains("did not complete 5000 jobs within load_timeout_s "
                                                "(2 s): 2000 done"));
  CHECK(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load"});  // no cool-down
}

TEST_CASE("session: why a run stopped early") {
  struct Case {
    const char* name;
    Script script;
    std::string reason;
    std::vector<std::string> phases;
  };
  std::vector<Case> cases;
  {
    Script s;
    s.processes["sut"].exit_at_ms = 2800;  // in the load (it starts at 2.3 s)
    s.processes["sut"].wait_status = kExit0;
    cases.push_back({"the SUT exits",
                     s,
                     "the SUT exited with status 0 during the load phase",
                     {"idle", "warmup", "load"}});
  }
  {
    Script s;
    s.processes["sut"].exit_at_ms = 1000;
    s.processes["sut"].wait_status = SIGSEGV;
    cases.push_back({"the SUT crashes in idle",
                     s,
                     "the SUT killed by signal 11 (SIGSEGV) during the idle phase",
                     {"idle"}});
  }
  {
    Script s;
    s.processes["redis"].exit_at_ms = 3000;
    s.processes["redis"].wait_status = SIGKILL;
    cases.push_back({"a service dies",
                     s,
                     "the service 'redis' killed by signal 9 (SIGKILL) during the load phase",
                     {"idle", "warmup", "load"}});
  }
  {
    Script s;  // the driver notices first; the SUT's exit comes 50 ms later: the better reason
    s.driver.fatal_at_ms = 2800;
    s.processes["sut"].exit_at_ms = 2850;
    s.processes["sut"].wait_status = kExit1;
    cases.push_back({"driver error, then the SUT's exit",
                     s,
                     "the SUT exited with status 1 during the load phase (lost the connection to "
                     "the SUT)",
                     {"idle", "warmup", "load"}});
  }
  {
    Script s;
    s.driver.fatal_at_ms = 2800;
    cases.push_back(
        {"driver error alone", s, "lost the connection to the SUT", {"idle", "warmup", "load"}});
  }
  {
    Script s;
    s.interrupt_at_ms = 500;
    cases.push_back({"interrupted in idle", s, "interrupted by SIGINT", {"idle"}});
  }
  {
    Script s;
    s.probe_problem_at_ms = 1800;
    cases.push_back({"Redis restarted", s, "Redis restarted during the run", {"idle", "warmup"}});
  }
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto o = run(worker_scenario(), c.script);
      INFO(fmt::format("{}", fmt::join(o.events, " | ")));
      CHECK_FALSE(o.run.valid);
      REQUIRE_FALSE(o.run.problems.empty());
      CHECK_THAT(o.run.problems[0], Catch::Contains(c.reason));
      CHECK(phase_names(o.run) == c.phases);
      // Whatever happened, every process was stopped, the SUT first.
      CHECK(at(o.events, "stop sut grace 5000 ms") < at(o.events, "stop redis grace 3000 ms"));
      CHECK(has(o.events, "stop cache grace 2000 ms"));
      if (c.phases.size() == 1) CHECK_FALSE(has(o.events, "driver connect"));
      if (!o.run.valid) CHECK_FALSE(o.run.log_tail.empty());
    }
  }
}

TEST_CASE("session: a service that is not ready stops the start, and nothing after it runs") {
  Script s;
  s.processes["redis"].never_ready = true;
  const auto o = run(worker_scenario(), s);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0), Catch::Contains("redis was not ready"));
  CHECK_FALSE(has(o.events, "launch sut"));
  CHECK(has(o.events, "stop redis grace 3000 ms"));
  CHECK(has(o.events, "stop cache grace 2000 ms"));
  CHECK(o.run.phases.empty());
}

TEST_CASE("session: a second interrupt stops every process without grace") {
  Script s;
  s.interrupt_at_ms = 2500;
  s.interrupts = 2;
  const auto o = run(worker_scenario(), s);
  CHECK(has(o.events, "stop sut grace 0 ms"));
  CHECK(has(o.events, "stop redis grace 0 ms"));
}

TEST_CASE("session: processes killed after their grace are a warning naming their role") {
  Script s;
  s.processes["redis"].killed_at_stop = 2;
  const auto o = run(worker_scenario(), s);
  CHECK(o.run.valid);
  REQUIRE(o.run.warnings.size() == 1);
  CHECK_THAT(o.run.warnings[0], Catch::Contains("2 process(es) of the service 'redis' did not end "
                                                "within 3 s of being told to stop"));
}

TEST_CASE("session: an open model the worker cannot follow is invalid, the backlog named") {
  json s = worker_scenario();
  s["driver"]["rate_per_s"] = 1000;
  Script script;
  script.driver.ops_per_s = 600;
  script.driver.target_rate_per_s = 1000;
  script.probe_backlog = 800;
  const auto o = run(s, script);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0), Catch::Contains("could not keep up") &&
                                       Catch::Contains("800 jobs still waiting in the queue"));
  REQUIRE(o.run.metrics.backlog_jobs);
  CHECK(o.run.metrics.backlog_jobs->max == 800);
}

TEST_CASE("session: a command is its whole life, and its exit status decides") {
  SECTION("exit 0") {
    Script s;
    s.processes["sut"].exit_at_ms = 3000;
    const auto o = run(command_scenario(), s);
    CHECK(o.run.valid);
    CHECK(phase_names(o.run) == std::vector<std::string>{"warmup", "load"});
    CHECK(o.run.phases[1].end_ms == Approx(3000).margin(6));
    CHECK_FALSE(has(o.events, "make driver"));
    REQUIRE(o.run.sut_exit);
    CHECK(*o.run.sut_exit == "exited with status 0");
    CHECK(o.run.sut_exit_status == 0);
  }
  SECTION("exit 1") {
    Script s;
    s.processes["sut"].exit_at_ms = 3000;
    s.processes["sut"].wait_status = kExit1;
    const auto o = run(command_scenario(), s);
    CHECK_FALSE(o.run.valid);
    CHECK_THAT(o.run.problems.at(0), Catch::Contains("the command exited with status 1"));
    CHECK(o.run.sut_exit_status == 1);
  }
  SECTION("too long") {
    const auto o = run(command_scenario(), {});
    CHECK_FALSE(o.run.valid);
    CHECK_FALSE(o.run.sut_exit_status);  // memgate stopped it: no status of its own
    CHECK_THAT(o.run.problems.at(0), Catch::Contains("ran longer than its 10 s limit"));
    CHECK(o.run.phases.back().end_ms == Approx(10000).margin(6));
  }
}

TEST_CASE("session: a process that cannot start is an invalid run, the earlier ones stopped") {
  Script s;
  s.processes["sut"].fails_to_start = true;
  const auto o = run(worker_scenario(), s);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0), Catch::Contains("cannot start 'sut'"));
  CHECK(has(o.events, "stop redis grace 3000 ms"));
  CHECK(has(o.events, "prepare /reports/worker/run1"));
}

TEST_CASE("session: CPU per operation and the contention come from the load phase's CPU time") {
  Script s;
  s.processes["sut"].cpu_per_s = 0.5;    // the SUT's tree: half a CPU
  s.processes["redis"].cpu_per_s = 0.1;  // the services: not the SUT's CPU, not contention
  s.processes["cache"].cpu_per_s = 0.1;
  s.others_cpus = 0.6;  // a neighbour: 0.6 of the machine's 2 CPUs
  s.steal_cpus = 0.1;
  s.driver.ops_per_s = 1000;
  const auto o = run(worker_scenario(), s);
  REQUIRE(o.run.valid);
  std::vector<std::string> phases;
  for (const auto& c : o.run.cpu) phases.push_back(c.phase);
  CHECK(phases == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
  const PhaseCpu& load = o.run.cpu[2];
  CHECK(load.elapsed_ms == Approx(2000).margin(6));
  CHECK(load.cpus == 2);
  CHECK(load.sut_ms == Approx(1000).epsilon(0.01));
  CHECK(load.services_ms == Approx(400).epsilon(0.01));
  CHECK(load.memgate_ms == Approx(200).epsilon(0.01));
  CHECK(load.others_pct == Approx(30).epsilon(0.01));  // 0.6 of 2 CPUs
  CHECK(load.steal_pct == Approx(5).epsilon(0.01));
  // 1000 ms of the SUT's CPU for 2000 operations.
  REQUIRE(o.run.metrics.cpu_us_per_op);
  CHECK(*o.run.metrics.cpu_us_per_op == Approx(500).epsilon(0.01));
  REQUIRE(o.run.metrics.contention_pct);
  CHECK(*o.run.metrics.contention_pct == Approx(35).epsilon(0.01));
}

namespace {

// A team's own load generator against a service: idle 1 s, warm-up 1 s, load 2 s, cool-down 1 s.
json load_command_scenario() {
  return json::parse(R"({
    "name": "byo-load",
    "sut": {"command": ["service"], "stop_grace_s": 5},
    "phases": {"idle_s": 1, "warmup_s": 1, "load_s": 2, "cooldown_s": 1},
    "driver": {"type": "load-command", "command": ["loadgen", "-d", "{load_s}"],
               "stop_grace_s": 2}
  })");
}

std::size_t count(const std::vector<std::string>& events, const std::string& event) {
  return static_cast<std::size_t>(std::count(events.begin(), events.end(), event));
}

}  // namespace

TEST_CASE("session: a load command starts per phase with its seconds, watched as 'load', apart") {
  Script s;
  s.processes["sut"].cpu_per_s = 0.5;
  s.processes["load"].cpu_per_s = 0.8;  // the load generator's CPU: neither the SUT's nor others'
  const auto o = run(load_command_scenario(), s);
  REQUIRE(o.run.valid);
  CHECK(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
  CHECK(count(o.events, "launch load") == 2);
  CHECK(count(o.events, "watch load") == 2);
  // The warm-up's command is stopped when the load phase begins, before the load's starts.
  const auto first_stop = at(o.events, "stop load grace 2000 ms");
  CHECK(first_stop < o.events.size());
  CHECK(std::find(o.events.begin() + static_cast<long>(first_stop), o.events.end(),
                  "launch load") != o.events.end());
  CHECK(at(o.events, "stop sut grace 5000 ms") > first_stop);
  const json& commands = o.run.driver.at("commands");
  REQUIRE(commands.size() == 2);
  CHECK(commands[0]["phase"] == "warmup");
  CHECK(commands[0]["command"] == json({"loadgen", "-d", "1"}));
  CHECK(commands[1]["phase"] == "load");
  CHECK(commands[1]["command"] == json({"loadgen", "-d", "2"}));
  // No parser: nothing is known of its operations, and that is no fault of the run.
  CHECK_FALSE(o.run.metrics.throughput_per_s);
  CHECK_FALSE(o.run.metrics.cpu_us_per_op);
  REQUIRE(o.run.load);
  CHECK(o.run.load->role == "load");
  CHECK(o.run.services.empty());
  const PhaseCpu& load = o.run.cpu[2];
  CHECK(load.sut_ms == Approx(1000).epsilon(0.01));
  CHECK(load.load_ms == Approx(1600).epsilon(0.01));
  CHECK(load.others_pct == Approx(0).margin(0.01));
}

TEST_CASE("session: a load command that exits 0 has done its work and ends its phase") {
  Script s;
  s.processes["load"].exit_after_ms = 500;
  s.processes["load"].wait_status = kExit0;
  const auto o = run(load_command_scenario(), s);
  REQUIRE(o.run.valid);
  REQUIRE(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
  CHECK(o.run.phases[1].end_ms - o.run.phases[1].start_ms == Approx(500).margin(6));
  CHECK(o.run.phases[2].end_ms - o.run.phases[2].start_ms == Approx(500).margin(6));
  CHECK(o.run.phases[3].end_ms - o.run.phases[3].start_ms == Approx(1000).margin(6));
  CHECK(o.run.driver["commands"][1]["stopped_by_memgate"] == false);
}

TEST_CASE("session: a load command that fails makes the run invalid, with its last lines") {
  Script s;
  s.processes["load"].exit_after_ms = 300;
  s.processes["load"].wait_status = kExit1;
  const auto o = run(load_command_scenario(), s);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0),
             Catch::Contains("the load command exited with status 1 during the warmup phase"));
  CHECK(o.run.log_tail_role == "load");
  CHECK(o.run.log_tail == std::vector<std::string>{"load: last words"});
  CHECK(count(o.events, "launch load") == 1);
  CHECK(has(o.events, "stop sut grace 5000 ms"));
}

TEST_CASE("session: a load command that cannot start is an invalid run, every process stopped") {
  Script s;
  s.processes["load"].fails_to_start = true;
  const auto o = run(load_command_scenario(), s);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0), Catch::Contains("cannot start 'load'"));
  CHECK(has(o.events, "stop sut grace 5000 ms"));
}

TEST_CASE("session: with once, one load command runs through the warm-up and the load") {
  json scenario = load_command_scenario();
  scenario["driver"]["once"] = true;
  const auto o = run(scenario, {});
  REQUIRE(o.run.valid);
  CHECK(count(o.events, "launch load") == 1);
  CHECK(o.run.driver["commands"][0]["command"] == json({"loadgen", "-d", "3"}));
  CHECK(o.run.driver["commands"][0]["phase"] == "warmup and load");
}

TEST_CASE("session: an interrupt stops the load command's tree as every other") {
  Script s;
  s.interrupt_at_ms = 3000;  // in the load phase
  const auto o = run(load_command_scenario(), s);
  CHECK_FALSE(o.run.valid);
  CHECK_THAT(o.run.problems.at(0), Catch::Contains("interrupted by SIGINT"));
  CHECK(count(o.events, "launch load") == 2);
  CHECK(count(o.events, "stop load grace 2000 ms") == 2);
  CHECK(at(o.events, "stop sut grace 5000 ms") < o.events.size());
}

TEST_CASE("session: with a parser, a load command gets overrun_s past its phase to finish") {
  json scenario = load_command_scenario();
  scenario["driver"]["parser"] = "json-line";
  scenario["driver"]["overrun_s"] = 1;
  SECTION("it finishes within the overrun: the phase ends with it") {
    Script s;
    s.processes["load"].exit_after_ms = 2500;
    s.processes["load"].wait_status = kExit0;
    const auto o = run(scenario, s);
    REQUIRE(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
    CHECK(o.run.phases[2].end_ms - o.run.phases[2].start_ms == Approx(2500).margin(6));
    // The fake prints nothing: the parser says so, naming itself.
    CHECK_FALSE(o.run.valid);
    CHECK_THAT(o.run.problems.at(0), Catch::Contains("the json-line parser"));
    CHECK(o.run.log_tail_role == "load");
  }
  SECTION("it does not: stopped after the overrun, and nothing to read is said") {
    const auto o = run(scenario, {});
    REQUIRE(phase_names(o.run) == std::vector<std::string>{"idle", "warmup", "load", "cooldown"});
    CHECK(o.run.phases[2].end_ms - o.run.phases[2].start_ms == Approx(3000).margin(6));
    CHECK_FALSE(o.run.valid);
    CHECK_THAT(o.run.problems.at(0),
               Catch::Contains("the load command had not finished when memgate stopped it") &&
                   Catch::Contains("nothing the json-line parser could read"));
    CHECK(o.run.driver["commands"][1]["stopped_by_memgate"] == true);
  }
}
