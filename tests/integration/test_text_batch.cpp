// The text-batch driver, over HTTP and stdin, against the text service (tests/text_service).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "runtime/process/net.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

json service_scenario(const std::string& name, const std::string& transport) {
  json s = json::parse(R"({
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.3, "cooldown_s": 0.3},
    "driver": {"type": "text-batch", "batch_size": 64, "texts": {"generate": {"count": 300}}}
  })");
  s["name"] = name;
  s["driver"]["transport"] = transport;
  if (transport == "http") {
    s["sut"] = {{"command", {"{bindir}/memgate-text-service", "--port", "{port}"}},
                {"ready", {{"log", "listening on"}}}};
    s["driver"]["url"] = "http://127.0.0.1:{port}/embed";
    s["driver"]["concurrency"] = 3;
  } else {
    s["sut"] = {{"command", {"{bindir}/memgate-text-service", "--stdin"}},
                {"ready", {{"log", "ready (stdin)"}}}};
  }
  return s;
}

struct Outcome {
  CliResult cli;
  json report;
  std::string sut_log;
};

Outcome run(const TempDir& dir, const json& scenario, const std::vector<std::string>& extra = {},
            const std::map<std::string, std::string>& env = {}) {
  const std::string file = dir.write(scenario["name"].get<std::string>() + ".json", scenario.dump());
  std::vector<std::string> args{"run", file, "--out", dir.file("out"), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o{run_memgate(args, 180, env), json(), slurp(dir.file("out/run1/sut.log"))};
  const std::string report = slurp(dir.file("out/report.json"));
  if (!report.empty()) o.report = json::parse(report);
  return o;
}

}  // namespace

TEST_CASE("text-batch: exactly the configured number of texts is answered") {
  for (const char* transport : {"http", "stdin"}) {
    INFO("transport " << transport);
    TempDir dir;
    json s = service_scenario("exact", transport);
    s["phases"]["load_ops"] = 1000;  // 15 batches of 64 and one of 40
    const auto o = run(dir, s);
    INFO(o.cli.output);
    REQUIRE(o.cli.exit_code == 0);
    const json& run = o.report["runs"][0];
    CHECK(run["metrics"]["ops"] == 1000);
    CHECK(run["driver"]["texts"]["load"] == 1000);
    CHECK(run["driver"]["batches"]["load"] == 16);
    CHECK(run["driver"].contains("batches_per_s"));
    CHECK(run["metrics"]["latency_ms"]["count"] == 16);  // latency is per batch
    CHECK_THAT(o.sut_log, Catch::Contains("served 1000 texts"));  // the service's own count
  }
}

TEST_CASE("text-batch: texts from a file round-trip byte for byte") {
  const std::string texts =
      "plain ascii\n"
      "quotes \"double\" and 'single'\n"
      "back\\slashes \\n \\\" \\\\ and a tab\tinside\n"
      "ünïcødé, 日本語, emoji 🎉, Ωmega\n"
      "{\"looks\": [\"like\", \"json\"]}\n"
      "trailing spaces   \n" +
      std::string(200'000, 'x') + " a long line\n";
  for (const char* transport : {"http", "stdin"}) {
    INFO("transport " << transport);
    TempDir dir;
    const std::string texts_file = dir.write("texts.txt", texts);
    json s = service_scenario("roundtrip", transport);
    s["driver"]["texts"] = {{"file", texts_file}};
    s["driver"]["batch_size"] = 3;
    if (std::string(transport) == "http") s["driver"]["concurrency"] = 1;  // texts in order
    s["phases"]["load_ops"] = 7;  // each text once
    s["sut"]["command"].push_back("--record");
    s["sut"]["command"].push_back(dir.file("received.txt"));
    const auto o = run(dir, s);
    INFO(o.cli.output);
    REQUIRE(o.cli.exit_code == 0);
    CHECK(slurp(dir.file("received.txt")) == texts);
  }
}

TEST_CASE("text-batch: unreachable URL, non-loopback URL, bad text files") {
  TempDir dir;
  // The SUT runs but does not listen where the URL points.
  json s = service_scenario("unreachable", "http");
  s["sut"] = {{"command", {test_sut(), "--hold"}}, {"ready", {{"log", "holding"}}}};
  const int port = net::free_loopback_port();
  s["driver"]["url"] = "http://127.0.0.1:" + std::to_string(port) + "/embed";
  s["phases"]["load_s"] = 1;
  auto o = run(dir, s);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("cannot connect to http://127.0.0.1:" +
                                           std::to_string(port) + "/embed"));

  s = service_scenario("remote", "http");
  s["driver"]["url"] = "http://10.1.2.3:8080/embed";
  s["phases"]["load_s"] = 1;
  o = run(dir, s);
  CHECK(o.cli.exit_code == 2);
  CHECK_THAT(o.cli.output, Catch::Contains("/driver/url") && Catch::Contains("--allow-remote"));

  s = service_scenario("empty-texts", "http");
  s["driver"]["texts"] = {{"file", dir.write("empty.txt", "\n\n")}};
  s["phases"]["load_s"] = 1;
  const std::string file = dir.write("empty-texts.json", s.dump());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", file, "--out", dir.file("out2")},
        std::vector<std::string>{"validate", file}}) {
    const auto r = run_memgate(args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(dir.file("empty.txt")) &&
                             Catch::Contains("holds no text"));
  }
  s["driver"]["texts"] = {{"file", dir.file("missing.txt")}};
  const std::string missing = dir.write("missing-texts.json", s.dump());
  const auto r = run_memgate({"validate", missing});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains(dir.file("missing.txt") + ": cannot read"));
}

TEST_CASE("text-batch: statuses other than 2xx are failed batches, counted as mismatches") {
  TempDir dir;
  json s = service_scenario("failing", "http");
  s["sut"]["command"].push_back("--fail-every");
  s["sut"]["command"].push_back("4");
  s["phases"]["load_ops"] = 64 * 20;
  s["max_errors"] = 100'000;
  auto o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 0);  // within the scenario's error budget
  const json& run0 = o.report["runs"][0];
  const int mismatches = run0["driver"]["load_outcomes"]["mismatch"].get<int>();
  CHECK(mismatches >= 4);
  CHECK(run0["metrics"]["errors"].get<int>() == 64 * mismatches);
  CHECK(run0["metrics"]["ops"].get<int>() + run0["metrics"]["errors"].get<int>() == 64 * 20);
  CHECK(run0["driver"]["first_mismatch"]["status"] == 500);
  CHECK(run0["driver"]["first_mismatch"]["problem"] == "status 500 is not 2xx");
  CHECK(run0["driver"]["first_mismatch"]["body_start"] == R"({"error":"failing on purpose"})");
  s["max_errors"] = 0;
  o = run(dir, s);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("text(s) failed, more than the scenario allows") &&
                               Catch::Contains("the first: mismatch: status 500 is not 2xx"));
}

TEST_CASE("text-batch over stdin: a SUT that closes its stdout or stalls is an error, not a hang") {
  {
    TempDir dir;
    json s = service_scenario("closes", "stdin");
    s["sut"]["command"].push_back("--close-after");
    s["sut"]["command"].push_back("100");
    s["phases"]["load_s"] = 30;
    const auto o = run(dir, s);
    CHECK(o.cli.exit_code == 3);
    CHECK_THAT(o.cli.output, Catch::Contains("the SUT closed its stdout after answering 100 texts"));
  }
  {
    TempDir dir;
    json s = service_scenario("stalls", "stdin");
    s["sut"]["command"].push_back("--stall-after");
    s["sut"]["command"].push_back("100");
    s["driver"]["request_timeout_s"] = 0.5;
    s["phases"]["load_s"] = 30;
    const auto o = run(dir, s);
    CHECK(o.cli.exit_code == 3);
    CHECK_THAT(o.cli.output, Catch::Contains("answered no line within request_timeout_s (0.5 s)"));
  }
}

TEST_CASE("text-batch: the leak knob makes check fail on growth or residual, without it, pass") {
  TempDir dir;
  json s = service_scenario("leak", "http");
  s["driver"]["rate_per_s"] = 100;  // 6400 texts a second
  s["phases"] = {{"idle_s", 0.5}, {"warmup_s", 0.5}, {"load_s", 3}, {"cooldown_s", 1}};
  s["repeat"] = 3;
  s["gate"] = {{"plateau_bytes", {{"max_increase_pct", 10}, {"min_increase_bytes", 4194304}}},
               {"residual_bytes", {{"max_increase_pct", 10}, {"min_increase_bytes", 4194304}}},
               {"growth_bytes_per_min", {{"max_bytes_per_min", 8388608}}}};
  const std::string file = dir.write("leak.json", s.dump());
  const auto base = run_memgate({"baseline", file, "--baselines", dir.file("b"), "-q"}, 300, {},
                                dir.path());
  INFO(base.output);
  REQUIRE(base.exit_code == 0);
  const auto same = run_memgate({"check", file, "--baselines", dir.file("b"), "-q"}, 300, {},
                                dir.path());
  INFO(same.output);
  CHECK(same.exit_code == 0);
  // 512 bytes kept per text at 6400 texts/s: ~190 MiB a minute.
  const auto leaking = run_memgate({"check", file, "--baselines", dir.file("b"), "-q"}, 300,
                                   {{"MG_TEXT_SERVICE_EXTRA", "--leak-bytes-per-text 512"}},
                                   dir.path());
  INFO(leaking.output);
  CHECK(leaking.exit_code == 1);
  CHECK_THAT(leaking.output, Catch::Contains("growth_bytes_per_min") ||
                                 Catch::Contains("residual_bytes"));
}
