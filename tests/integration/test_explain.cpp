// memgate explain as a black box: a native SUT under heaptrack (mg-explain-sut leaks known bytes
// from named functions), the --against of a release that leaks from a second function (against
// the profile `memgate baseline --profile` kept), a static binary heaptrack cannot follow, and the
// Python worker of tests/workers keeping 16 KiB per job under tracemalloc. Skipped (CTest) when
// heaptrack, redis-server or python3-redis is missing; under CI=true that fails.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

constexpr std::int64_t kBlockBytes = 4096;
constexpr std::int64_t kParserLeaks = 1000;

// A command scenario: the SUT's whole life is the load. `args` after the program.
json native_scenario(const std::string& program, const std::vector<std::string>& args) {
  json s = json::parse(R"({"name": "explain-native", "sut": {"command": []},
                           "watch": {"interval_ms": 20}, "phases": {},
                           "driver": {"type": "command"}})");
  s["sut"]["command"].push_back("{bindir}/" + program);
  for (const auto& a : args) s["sut"]["command"].push_back(a);
  return s;
}

std::vector<std::string> release(int version) {
  std::vector<std::string> args = {"--parser-leaks", std::to_string(kParserLeaks),
                                   "--bytes",        std::to_string(kBlockBytes),
                                   "--scratch-mib",  "8"};
  if (version == 2) args.insert(args.end(), {"--cache-leaks", "500"});
  return args;
}

json read_json(const std::string& path) {
  const std::string text = slurp(path);
  INFO(path);
  REQUIRE_FALSE(text.empty());
  return json::parse(text);
}

bool named(const json& site, const std::string& function) {
  return site["function"].get<std::string>().find(function) != std::string::npos;
}

std::string worker_py() {
  return std::string(MEMGATE_SOURCE_DIR) + "/tests/workers/redis_worker.py";
}

// The line of the worker that keeps a job's bytes.
int worker_leak_line() {
  std::ifstream in(worker_py());
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find("leaked.append(") != std::string::npos) return number;
  }
  FAIL("no leaked.append( in " << worker_py());
  return 0;
}

}  // namespace

TEST_CASE("explain: a native SUT's leaking function is named with its leaked bytes") {
  require_tool("heaptrack", "heaptrack");
  TempDir dir;
  const std::string file =
      dir.write("native.json", native_scenario("mg-explain-sut", release(1)).dump());
  const CliResult cli = run_memgate({"explain", file, "--out", dir.file("out"), "--quiet"});
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const json doc = read_json(dir.file("out/explain.json"));
  CHECK(doc["tool"] == "heaptrack");
  CHECK(doc["notes"].empty());
  const json& top = doc["sites_by_leaked"].at(0);
  CHECK(named(top, "parse_record"));
  CHECK_THAT(top["file"].get<std::string>(), Catch::EndsWith("tests/sut/explain_sut.cpp"));
  CHECK(top["line"].get<int>() > 0);
  CHECK(top["leaked_calls"] == kParserLeaks);
  const double leaked = top["leaked_bytes"].get<double>();
  CHECK(leaked == Approx(static_cast<double>(kParserLeaks * kBlockBytes)).epsilon(0.05));
  // The scratch buffer is the peak's biggest site but leaks nothing.
  CHECK(named(doc["sites_by_held"].at(0), "build_scratch"));
  for (const auto& site : doc["sites_by_leaked"]) CHECK_FALSE(named(site, "build_scratch"));
  // The console names it, and every output is there.
  CHECK_THAT(cli.output, Catch::Contains("parse_record"));
  CHECK_THAT(slurp(dir.file("out/explain.md")), Catch::Contains("parse\\_record"));  // escaped
  CHECK_THAT(slurp(dir.file("out/explain.html")), Catch::Contains("parse_record"));
  // The run's own page has the sites beside its memory plot.
  CHECK_THAT(slurp(dir.file("out/report.html")),
             Catch::Contains("<section id=\"explain\">") && Catch::Contains("parse_record"));
  CHECK(read_json(dir.file("out/report.json"))["runs"].size() == 1);
  CHECK_FALSE(slurp(dir.file("out/run1/heaptrack.sut")).empty());  // for heaptrack_gui
}

TEST_CASE("explain: --against the baseline's profile names the release's new leak first") {
  require_tool("heaptrack", "heaptrack");
  TempDir dir;
  const std::string v1 = dir.write("v1.json", native_scenario("mg-explain-sut", release(1)).dump());
  const std::string v2 = dir.write("v2.json", native_scenario("mg-explain-sut", release(2)).dump());
  const CliResult base = run_memgate({"baseline", v1, "--baselines", dir.file("baselines"),
                                      "--repeat", "1", "--profile", "--quiet"},
                                     170, {}, dir.path());
  INFO(base.output);
  REQUIRE(base.exit_code == 0);
  const std::string profile = dir.file("baselines/explain-native.profile.json");
  CHECK(read_json(profile)["tool"] == "heaptrack");
  CHECK(read_json(dir.file("baselines/explain-native.json"))["repetitions"] == 1);

  const CliResult cli =
      run_memgate({"explain", v2, "--out", dir.file("v2"), "--against", profile, "--quiet"});
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const json growth = read_json(dir.file("v2/explain.json"))["against"]["growth"];
  REQUIRE_FALSE(growth.empty());
  CHECK(named(growth[0], "remember_session"));
  CHECK(growth[0]["new"] == true);
  CHECK(growth[0]["growth_bytes"].get<double>() == Approx(500.0 * kBlockBytes).epsilon(0.05));
  // parse_record leaks as much as before: it did not grow beyond heaptrack's rounding.
  for (const auto& g : growth) {
    if (named(g, "parse_record"))
      CHECK(g["growth_bytes"].get<double>() < 0.01 * kParserLeaks * kBlockBytes);
  }
  const auto first = cli.output.find("remember_session");
  REQUIRE(first != std::string::npos);
  CHECK(first < cli.output.find("parse_record"));
}

TEST_CASE(
    "explain: a leak and a spike through one helper are two rows, and a rerun grows nothing") {
  require_tool("heaptrack", "heaptrack");
  constexpr std::int64_t kLeaks = 2000, kSpikeMiB = 32;
  TempDir dir;
  const std::string file =
      dir.write("helper.json",
                native_scenario("mg-explain-sut", {"--helper-leaks", std::to_string(kLeaks),
                                                   "--bytes", std::to_string(kBlockBytes),
                                                   "--helper-spike-mib", std::to_string(kSpikeMiB)})
                    .dump());
  const CliResult first = run_memgate({"explain", file, "--out", dir.file("first"), "--quiet"});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const json doc = read_json(dir.file("first/explain.json"));
  std::map<std::string, json> by_caller;  // the rows of touch(), by their nearest caller
  for (const char* list : {"sites_by_held", "sites_by_leaked"}) {
    for (const auto& site : doc[list]) {
      if (named(site, "touch") && !site["callers"].empty()) {
        by_caller[site["callers"][0]["function"].get<std::string>()] = site;
      }
    }
  }
  INFO(doc.dump());
  REQUIRE(by_caller.size() == 2);
  const json& leak = by_caller.begin()->second;  // "cache_put_leaky..." sorts first
  const json& spike = by_caller.rbegin()->second;
  CHECK(named(leak["callers"][0], "cache_put_leaky"));
  CHECK(named(leak["callers"][1], "main"));
  CHECK(leak["leaked_calls"] == kLeaks);
  CHECK(leak["leaked_bytes"].get<double>() ==
        Approx(static_cast<double>(kLeaks * kBlockBytes)).epsilon(0.02));
  CHECK(named(spike["callers"][0], "scratch_spike"));
  CHECK(spike["leaked_bytes"] == 0);
  CHECK(spike["held_bytes"].get<double>() == Approx(kSpikeMiB * 1048576.0).epsilon(0.02));
  CHECK_THAT(first.output,
             Catch::Contains("from cache_put_leaky") && Catch::Contains("from scratch_spike"));
  CHECK_THAT(slurp(dir.file("first/explain.html")),
             Catch::Contains("<summary>from cache_put_leaky"));

  // The same program again, against the first profile: nothing is new or grown (an unresolved
  // frame is keyed by its module, not by its address).
  const CliResult again = run_memgate({"explain", file, "--out", dir.file("again"), "--against",
                                       dir.file("first/explain.json"), "--quiet"});
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(read_json(dir.file("again/explain.json"))["against"]["growth"].empty());
  CHECK_THAT(again.output, Catch::Contains("no site holds more than before"));
}

TEST_CASE("explain: a native service memgate stops with SIGTERM still gives its leaks") {
  require_tool("heaptrack", "heaptrack");
  require_tool("redis-server", "redis-server");
  TempDir dir;
  // The SUT waits for memgate's SIGTERM (as a service does) while memgate loads a Redis service.
  const json s = json::parse(R"({"name": "explain-service",
    "services": {"redis": {"command": ["redis-server", "--port", "{port:redis}", "--bind",
                                       "127.0.0.1", "--save", "", "--appendonly", "no"],
                           "ready": {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 10}}},
    "sut": {"command": ["{bindir}/mg-explain-sut", "--parser-leaks", "100", "--wait-sigterm"],
            "ready": {"log": "waiting", "timeout_s": 20}},
    "phases": {"idle_s": 0.1, "load_ops": 200, "cooldown_s": 0.1},
    "driver": {"type": "redis-queue", "redis": "redis", "queues": 1, "producers": 1,
               "consumers": 1}})");
  const std::string file = dir.write("service.json", s.dump());
  const CliResult cli = run_memgate({"explain", file, "--out", dir.file("out"), "--quiet"});
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const json doc = read_json(dir.file("out/explain.json"));
  const json& top = doc["sites_by_leaked"].at(0);
  CHECK(named(top, "parse_record"));
  CHECK(top["leaked_calls"] == 100);
  CHECK(top["leaked_bytes"].get<double>() == Approx(100.0 * kBlockBytes).epsilon(0.05));
  // The SUT itself was the root of its tree (heaptrack preloaded, no wrapper script).
  const json report = read_json(dir.file("out/report.json"));
  bool sut_seen = false;
  for (const auto& p : report["runs"][0]["processes"]) {
    if (p["role"] == "sut") {
      CHECK(p["name"] == "mg-explain-sut");
      sut_seen = true;
    }
  }
  CHECK(sut_seen);
}

TEST_CASE("explain: a static binary gets a note saying why, not an empty table") {
  TempDir dir;
  const std::string file =
      dir.write("static.json", native_scenario("mg-explain-sut-static", release(1)).dump());
  const CliResult cli = run_memgate({"explain", file, "--out", dir.file("out"), "--quiet"});
  INFO(cli.output);
  CHECK(cli.exit_code == 3);
  CHECK_THAT(cli.output, Catch::Contains("statically linked"));
  const json doc = read_json(dir.file("out/explain.json"));
  CHECK(doc["tool"] == "none");
  CHECK(doc["sites_by_leaked"].empty());
  CHECK_THAT(slurp(dir.file("out/explain.md")), Catch::Contains("statically linked"));
  CHECK_THAT(slurp(dir.file("out/explain.md")), !Catch::Contains("| #"));
}

TEST_CASE("explain: without heaptrack on PATH, exit 3 saying how to install it") {
  TempDir dir;
  const std::string file =
      dir.write("native.json", native_scenario("mg-explain-sut", release(1)).dump());
  const CliResult cli = run_memgate({"explain", file, "--out", dir.file("out"), "--quiet"}, 60,
                                    {{"PATH", "/nonexistent"}});
  INFO(cli.output);
  CHECK(cli.exit_code == 3);
  CHECK_THAT(cli.output, Catch::Contains("heaptrack not found"));
  CHECK_THAT(cli.output, Catch::Contains("make deps-explain"));
}

TEST_CASE("baseline --profile without heaptrack: every baseline written, no profile, exit 3") {
  TempDir dir;
  json second = native_scenario("mg-explain-sut", release(1));
  second["name"] = "explain-native-2";
  const std::string one =
      dir.write("one.json", native_scenario("mg-explain-sut", release(1)).dump());
  const std::string two = dir.write("two.json", second.dump());
  const CliResult cli =
      run_memgate({"baseline", one, two, "--baselines", dir.file("b"), "--profile", "--quiet"}, 120,
                  {{"PATH", "/nonexistent"}}, dir.path());
  INFO(cli.output);
  CHECK(cli.exit_code == 3);
  CHECK_THAT(cli.output, Catch::Contains("heaptrack not found"));
  for (const char* name : {"explain-native", "explain-native-2"}) {
    CHECK(std::filesystem::exists(dir.file(std::string("b/") + name + ".json")));
    CHECK_FALSE(std::filesystem::exists(dir.file(std::string("b/") + name + ".profile.json")));
    CHECK_THAT(cli.output, Catch::Contains(std::string(name) + ": profile NOT written"));
  }
}

TEST_CASE("explain: a bad --against profile is exit 2 naming the file and JSON path") {
  TempDir dir;
  const std::string file =
      dir.write("native.json", native_scenario("mg-explain-sut", release(1)).dump());
  const std::string bad = dir.write("old.json", R"({"schema_version": 2, "tool": "gdb"})");
  const CliResult cli =
      run_memgate({"explain", file, "--against", bad, "--quiet"}, 60, {}, dir.path());
  INFO(cli.output);
  CHECK(cli.exit_code == 2);
  CHECK_THAT(cli.output, Catch::Contains(bad + ": /tool"));
  CHECK_FALSE(std::filesystem::exists(dir.file("reports")));  // nothing ran
}

TEST_CASE("explain: --against a profile of another tool is exit 2, this run's profile kept") {
  require_tool("heaptrack", "heaptrack");
  TempDir dir;
  const std::string file =
      dir.write("native.json", native_scenario("mg-explain-sut", release(1)).dump());
  const std::string python = dir.write("python.json", R"({"schema_version": 2,
    "tool": "tracemalloc", "scenario": "w", "memgate_version": "0.1.0", "created_at": "",
    "command": [], "held_at": "end of load",
    "totals": {"peak_bytes": 0, "leaked_bytes": 0, "calls": 0, "processes": 1},
    "sites_by_held": [], "sites_by_leaked": [], "notes": []})");
  const CliResult cli =
      run_memgate({"explain", file, "--out", dir.file("out"), "--against", python, "--quiet"});
  INFO(cli.output);
  CHECK(cli.exit_code == 2);
  CHECK_THAT(cli.output, Catch::Contains(python + ": /tool: a tracemalloc profile cannot be "
                                                  "compared with this run's heaptrack profile"));
  CHECK(read_json(dir.file("out/explain.json"))["tool"] == "heaptrack");
}

TEST_CASE("explain: --by module gives each module of a Python package its bytes") {
  TempDir dir;
  json s = native_scenario("mg-explain-sut", {});
  s["name"] = "two-modules";
  s["sut"]["command"] = {"/usr/bin/python3",
                         std::string(MEMGATE_SOURCE_DIR) + "/tests/workers/two_modules.py"};
  const std::string file = dir.write("two.json", s.dump());
  const CliResult cli =
      run_memgate({"explain", file, "--out", dir.file("out"), "--by", "module", "--quiet"}, 170);
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const json doc = read_json(dir.file("out/explain.json"));
  CHECK(doc["tool"] == "tracemalloc");
  std::map<std::string, double> held;
  for (const auto& area : doc["areas"]["module"]) held[area["name"]] = area["held_bytes"];
  // 400 bytearrays each, of 64 KiB and 32 KiB, plus each one's header (57 bytes on CPython 3.11).
  CHECK(held["twomod.cache"] == Approx(400 * 65536.0).epsilon(0.05));
  CHECK(held["twomod.index"] == Approx(400 * 32768.0).epsilon(0.05));
  // The console prints the table asked for, not the lines', and one table for a command.
  CHECK_THAT(cli.output, Catch::Contains("By module: held at exit") &&
                             Catch::Contains("twomod.cache") &&
                             !Catch::Contains("Still allocated at exit:"));
  CHECK_THAT(slurp(dir.file("out/explain.md")), Catch::Contains("| twomod.cache |"));
}

TEST_CASE("explain: a Python worker keeping 16 KiB per job, down to its file and line") {
  require_tool("redis-server", "redis-server");
  require_python_module("redis", "python3-redis");
  // Enough jobs for the leak to outweigh the modules imported (about 7 MiB of code objects).
  constexpr int kJobs = 1000;
  TempDir dir;
  json s = json::parse(R"({
    "name": "worker-explain",
    "services": {
      "redis": {"command": ["redis-server", "--port", "{port:redis}", "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no"],
                "ready": {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 10}, "stop_grace_s": 2}
    },
    "sut": {"command": ["/usr/bin/python3", "WORKER", "--redis", "127.0.0.1:{port:redis}",
                        "--queue", "jobs", "--ack-queue", "acks"],
            "env": {"MG_WORKER_LEAK_BYTES_PER_JOB": "16384"},
            "ready": {"log": "worker ready", "timeout_s": 30}, "stop_grace_s": 5},
    "watch": {"interval_ms": 50},
    "phases": {"idle_s": 0.2, "load_ops": 1000, "cooldown_s": 0.5},
    "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"], "consumers": 0,
               "pipeline": 8,
               "job": {"template": "{\"id\":\"{job_id}\",\"text\":{text_json}}",
                       "texts": {"generate": {"count": 100, "seed": 3}}},
               "completion": {"ack_queue": "acks"}}
  })");
  s["sut"]["command"][1] = worker_py();
  s["phases"]["load_ops"] = kJobs;
  const std::string file = dir.write("worker.json", s.dump());
  const CliResult cli = run_memgate({"explain", file, "--out", dir.file("out"), "--quiet"}, 170);
  INFO(cli.output);
  REQUIRE(cli.exit_code == 0);
  const json doc = read_json(dir.file("out/explain.json"));
  CHECK(doc["tool"] == "tracemalloc");
  CHECK(doc["held_at"] == "end of load");
  const json& top = doc["sites_by_held"].at(0);
  CHECK(top["file"] == worker_py());
  CHECK(top["line"] == worker_leak_line());
  CHECK_THAT(top["code"].get<std::string>(), Catch::Contains("leaked.append("));
  // 16 KiB per job, plus each bytearray's own header (57 bytes on CPython 3.11).
  CHECK(top["held_bytes"].get<double>() == Approx(kJobs * 16384.0).epsilon(0.05));
  CHECK_THAT(cli.output, Catch::Contains("redis_worker.py:" + std::to_string(worker_leak_line())));
}
