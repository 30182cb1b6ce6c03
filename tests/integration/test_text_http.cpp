// Text services over HTTP that memgate did not write (docs/scenarios.md, "The text-batch driver"):
// Python's http.server answering HTTP/1.0 or closing kept-alive connections without notice,
// chunked answers, request and response templates (the OpenAI-compatible shape), a bearer token
// from the environment that must never be written anywhere; and stdin SUTs that buffer.

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kPythonService =
    std::string(MEMGATE_SOURCE_DIR) + "/tests/text_service/http_text_service.py";

// A text-batch scenario against the Python service, started with `flags`.
json python_scenario(const std::string& name, const std::vector<std::string>& flags) {
  json s = json::parse(R"({
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "cooldown_s": 0.2, "load_timeout_s": 120},
    "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/embed", "batch_size": 1,
               "concurrency": 2, "request_timeout_s": 10,
               "texts": {"generate": {"count": 500, "min_words": 2, "max_words": 12}}}
  })");
  s["name"] = name;
  s["sut"] = {{"command", {"python3", kPythonService, "--port", "{port}"}},
              {"ready", {{"log", "listening on"}}}};
  for (const auto& f : flags) s["sut"]["command"].push_back(f);
  return s;
}

struct Outcome {
  CliResult cli;
  json report;
};

Outcome run(const TempDir& dir, const json& scenario,
            const std::map<std::string, std::string>& env = {}) {
  const std::string file =
      dir.write(scenario["name"].get<std::string>() + ".json", scenario.dump());
  Outcome o{run_memgate({"run", file, "--out", dir.file("out"), "--quiet"}, 180, env), json()};
  const std::string report = slurp(dir.file("out/report.json"));
  if (!report.empty()) o.report = json::parse(report);
  return o;
}

// Runs `batches` batches of one text and requires them all answered: exit 0, none failed.
// Returns the run's driver figures.
json run_without_failures(const TempDir& dir, json scenario, int batches) {
  scenario["phases"]["load_ops"] = batches;
  const auto o = run(dir, scenario);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json driver = o.report["runs"][0]["driver"];
  CHECK(driver["failed_batches"]["load"] == 0);
  CHECK(driver["batches"]["load"] == batches);
  return driver;
}

}  // namespace

TEST_CASE(
    "text over HTTP: Python's http.server (HTTP/1.0, a connection per request) fails nothing") {
  require_tool("python3", "python3");
  TempDir dir;
  const json driver = run_without_failures(dir, python_scenario("http10", {}), 1000);
  CHECK(driver["load_outcomes"] == json{{"ok", 1000}});
  CHECK(driver["connections_opened"].get<int>() >= 1000);  // the server closed every one
}

TEST_CASE("text over HTTP: a server closing kept-alive connections without notice fails nothing") {
  require_tool("python3", "python3");
  TempDir dir;
  // HTTP/1.1 keep-alive, but after every 10th answer the server closes the connection without a
  // "Connection: close": the next request on it finds it closed and is sent again.
  const json driver = run_without_failures(
      dir, python_scenario("closing", {"--http11", "--close-every", "10"}), 1000);
  CHECK(driver["resent_batches"].get<int>() >= 1);
  CHECK(driver["connections_opened"].get<int>() >= 50);
}

TEST_CASE("text over HTTP: chunked answers are read whole, and counted by count_pointer") {
  require_tool("python3", "python3");
  TempDir dir;
  json s = python_scenario("chunked", {"--http11", "--chunked"});
  s["driver"]["batch_size"] = 16;  // answers of ~1.5 KB in 100-byte chunks
  s["driver"]["response"] = {{"status", {200}}, {"count_pointer", "/vectors"}};
  s["phases"]["load_ops"] = 16 * 100;
  const auto o = run(dir, s);
  INFO(o.cli.output);
  REQUIRE(o.cli.exit_code == 0);
  const json& driver = o.report["runs"][0]["driver"];
  CHECK(driver["load_outcomes"] == json{{"ok", 100}});
  CHECK(o.report["runs"][0]["metrics"]["ops"] == 1600);
}

TEST_CASE("text over HTTP: an answer with the wrong number of vectors is a mismatch, quoted") {
  require_tool("python3", "python3");
  TempDir dir;
  json s = python_scenario("short", {"--http11", "--wrong-count", "1"});
  s["driver"]["batch_size"] = 4;
  s["driver"]["response"] = {{"count_pointer", "/vectors"}};
  s["phases"]["load_ops"] = 4 * 50;
  const auto o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("the first: mismatch: '/vectors' holds 3 entries for "
                                           "4 texts"));
  const json& driver = o.report["runs"][0]["driver"];
  CHECK(driver["load_outcomes"]["mismatch"] == 50);
  CHECK(driver["load_outcomes"]["ok"] == 0);
  const json& first = driver["first_mismatch"];
  CHECK(first["status"] == 200);
  CHECK_THAT(first["body_start"].get<std::string>(), Catch::StartsWith("{\"vectors\": [["));
  CHECK(first["body_start"].get<std::string>().size() <= 200);
  CHECK(o.report["runs"][0]["valid"] == false);
}

TEST_CASE(
    "text over HTTP: the OpenAI shape with a bearer token from the environment, a wrong "
    "token is a mismatch, and no token is written anywhere") {
  TempDir dir;
  const std::string right = "right-T0ken-" + fresh_token();
  const std::string wrong = "wrong-T0ken-" + fresh_token();
  json s = json::parse(R"({
    "name": "openai",
    "sut": {"command": ["{bindir}/memgate-text-service", "--port", "{port}", "--api", "openai",
                        "--token-env", "MG_SERVICE_TOKEN"],
            "ready": {"log": "listening on"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 640, "cooldown_s": 0.2},
    "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/v1/embeddings",
               "request": {"headers": {"Authorization": "Bearer {env:MG_API_TOKEN}"},
                           "body": {"model": "m", "input": "{texts}"}},
               "response": {"status": [200], "count_pointer": "/data"},
               "batch_size": 32, "concurrency": 2,
               "texts": {"generate": {"count": 300}}},
    "repeat": 2,
    "gate": {"peak_bytes": {"max_increase_pct": 50, "min_increase_bytes": 67108864}}
  })");
  const std::string work = dir.file("work");
  fs::create_directories(work);
  const std::string file = dir.write("work/openai.json", s.dump());
  const std::map<std::string, std::string> good = {{"MG_SERVICE_TOKEN", right},
                                                   {"MG_API_TOKEN", right}};
  const std::map<std::string, std::string> bad = {{"MG_SERVICE_TOKEN", right},
                                                  {"MG_API_TOKEN", wrong}};
  const auto made =
      run_memgate({"baseline", file, "--baselines", work + "/baselines"}, 180, good, work);
  const auto checked = run_memgate({"check", file, "--baselines", work + "/baselines", "--out",
                                    work + "/out", "--history", work + "/history.jsonl"},
                                   180, good, work);
  const auto refused = run_memgate({"check", file, "--baselines", work + "/baselines", "--out",
                                    work + "/refused", "--history", work + "/history.jsonl"},
                                   180, bad, work);
  INFO(made.output << checked.output << refused.output);
  REQUIRE(made.exit_code == 0);
  CHECK(checked.exit_code == 0);
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.output,
             Catch::Contains("mismatch: status 401 is not in response.status [200]"));

  const json report = json::parse(slurp(work + "/refused/report.json"));
  const json& first = report["runs"][0]["driver"]["first_mismatch"];
  CHECK(first["status"] == 401);
  CHECK_THAT(first["body_start"].get<std::string>(), Catch::Contains("bearer token"));
  const json ok = json::parse(slurp(work + "/out/report.json"));
  CHECK(ok["runs"][0]["driver"]["load_outcomes"] == json{{"ok", 20}});

  for (const auto& output : {made.output, checked.output, refused.output}) {
    CHECK(output.find(right) == std::string::npos);
    CHECK(output.find(wrong) == std::string::npos);
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(work)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    INFO(entry.path());
    const std::string text = slurp(entry.path().string());
    CHECK(text.find(right) == std::string::npos);
    CHECK(text.find(wrong) == std::string::npos);
  }
  CHECK(files >= 10);  // baseline, history, reports and logs of six runs
  CHECK(fs::exists(work + "/baselines/openai.json"));
  CHECK(fs::exists(work + "/history.jsonl"));
}

TEST_CASE("text over HTTP: a server quoting the token in its error has it masked in the report") {
  require_tool("python3", "python3");
  TempDir dir;
  // Longer than the quote: it starts within its 200 bytes and ends after them.
  const std::string wrong = "quoted/T0ken-" + fresh_token() + std::string(300, 'x');
  // The Python service answers 401 with {"got": "<the Authorization header it received>"}.
  json s = python_scenario("quoted", {"--http11", "--token-env", "MG_SERVICE_TOKEN"});
  s["driver"]["request"] = {{"headers", {{"Authorization", "Bearer {env:MG_API_TOKEN}"}}}};
  s["phases"]["load_ops"] = 20;
  const auto o =
      run(dir, s, {{"MG_SERVICE_TOKEN", "right-" + fresh_token()}, {"MG_API_TOKEN", wrong}});
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  const std::string quoted = o.report["runs"][0]["driver"]["first_mismatch"]["body_start"];
  CHECK_THAT(quoted, Catch::Contains("Bearer {env:MG_API_TOKEN}"));
  CHECK(quoted.find("quoted/T0ken") == std::string::npos);
  CHECK(quoted.find("xxxxxxxx") == std::string::npos);
  CHECK(o.cli.output.find(wrong) == std::string::npos);
  for (const auto& entry : fs::recursive_directory_iterator(dir.file("out"))) {
    if (entry.is_regular_file())
      CHECK(slurp(entry.path().string()).find(wrong) == std::string::npos);
  }
}

TEST_CASE("text over HTTP: a header naming an unset variable is exit 2 before anything runs") {
  require_tool("python3", "python3");
  TempDir dir;
  json s = python_scenario("unset", {});
  s["driver"]["request"] = {{"headers", {{"Authorization", "Bearer {env:MG_NOT_SET_ANYWHERE}"}}}};
  s["phases"]["load_ops"] = 10;
  const std::string file = dir.write("unset.json", s.dump());
  const auto r = run_memgate({"run", file, "--out", dir.file("out")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("/driver/request/headers/Authorization") &&
                           Catch::Contains("$MG_NOT_SET_ANYWHERE, which is not set"));
  CHECK_FALSE(fs::exists(dir.file("out/report.json")));
  // An empty one is no token either.
  const auto empty =
      run_memgate({"run", file, "--out", dir.file("out")}, 120, {{"MG_NOT_SET_ANYWHERE", ""}});
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.output, Catch::Contains("$MG_NOT_SET_ANYWHERE, which is empty"));
  // memgate validate, where a lint job may not hold the secrets: a note, not an error.
  const auto validated = run_memgate({"validate", file});
  CHECK(validated.exit_code == 0);
  CHECK_THAT(validated.output, Catch::Contains("note: ") &&
                                   Catch::Contains("$MG_NOT_SET_ANYWHERE, which is not set"));
}

TEST_CASE(
    "text over stdin: a SUT that buffers its output gets the fix, and unbuffered it needs "
    "no ready probe") {
  require_tool("mawk", "mawk");
  TempDir dir;
  json s = json::parse(R"({
    "name": "awk",
    "sut": {"command": ["mawk", "{ print length($0) }"]},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 800, "cooldown_s": 0.2},
    "driver": {"type": "text-batch", "transport": "stdin", "batch_size": 8,
               "request_timeout_s": 1, "texts": {"generate": {"count": 100}}}
  })");
  auto o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains("answered no line within request_timeout_s (1 s) of "
                                           "the first batch") &&
                               Catch::Contains("buffers its output") &&
                               Catch::Contains("mawk -W interactive"));
  // The fix the message names; no `ready`: memgate waits until mawk blocks reading its stdin.
  s["sut"]["command"] = {"mawk", "-W", "interactive", "{ print length($0) }"};
  s["driver"]["request_timeout_s"] = 30;
  o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 0);
  CHECK(o.report["runs"][0]["metrics"]["ops"] == 800);
}

TEST_CASE("text over HTTP: a connection refused mid-run ends the run, with its reason") {
  require_tool("python3", "python3");
  TempDir dir;
  // HTTP/1.0: every batch needs a new connection, and after 50 answers the service, still
  // running, no longer listens.
  json s = python_scenario("refused", {"--stop-listening-after", "50"});
  s["phases"]["load_ops"] = 100'000;
  const auto o = run(dir, s);
  INFO(o.cli.output);
  CHECK(o.cli.exit_code == 3);
  // Refused; or reset, for a connection that sat in the listen queue when the socket closed.
  CHECK_THAT(o.cli.output, Catch::Contains("/embed again: Connection refused") ||
                               Catch::Contains("/embed again: Connection reset by peer"));
  CHECK_THAT(o.cli.output, Catch::Contains("stopped listening"));  // the SUT's last lines
  const json& driver = o.report["runs"][0]["driver"];
  CHECK(driver["load_outcomes"]["ok"].get<int>() < 100);  // 50, and those already in flight
  CHECK(driver["load_outcomes"]["connect"].get<int>() >= 1);
}
