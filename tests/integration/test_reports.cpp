// Reports of real runs: every format written and well-formed (xmllint), progress on a terminal
// and without one, --json, the history and `memgate trend`, and the page in headless Chromium.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/model/errors.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

// A quick scenario of the text service (HTTP), with a hostile description.
std::string quick_scenario(const TempDir& dir) {
  json s = json::parse(R"({
    "name": "quick",
    "description": "<script>alert('x')</script> & \"quotes\"",
    "sut": {"command": ["{bindir}/memgate-text-service", "--port", "{port}"], "ready": {"log": "listening on"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.3, "load_s": 1, "cooldown_s": 0.4},
    "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/embed", "batch_size": 8,
               "rate_per_s": 200, "texts": {"generate": {"count": 500}}},
    "repeat": 2,
    "gate": {"peak_bytes": {"max_increase_pct": 50, "min_increase_bytes": 16777216},
             "plateau_bytes": {"max_increase_pct": 50, "min_increase_bytes": 16777216}}
  })");
  return dir.write("quick.json", s.dump());
}

}  // namespace

TEST_CASE("reports: every format is written and the markup is well-formed") {
  require_tool("xmllint", "libxml2-utils");
  TempDir dir;
  const std::string scenario = quick_scenario(dir);
  const auto run = run_memgate({"run", scenario, "--out", dir.file("out"), "-q"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* f : {"report.json", "summary.md", "junit.xml", "report.html"}) {
    CHECK(std::filesystem::exists(dir.file(std::string("out/") + f)));
  }
  expect_well_formed(dir.file("out/report.html"));
  expect_well_formed(dir.file("out/junit.xml"));
  const std::string html = slurp(dir.file("out/report.html"));
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);  // the hostile description is text
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  // Nothing from the network: every http:// is an XML namespace.
  for (auto at = html.find("http://"); at != std::string::npos; at = html.find("http://", at + 1)) {
    CHECK(html.compare(at, 18, "http://www.w3.org/") == 0);
  }
}

TEST_CASE("reports: check writes the verdict everywhere, --json for scripts, and the history") {
  require_tool("xmllint", "libxml2-utils");
  TempDir dir;
  const std::string scenario = quick_scenario(dir);
  REQUIRE(run_memgate({"baseline", scenario, "--baselines", dir.file("b"), "--repeat", "3", "-q"},
                      300, {}, dir.path()).exit_code == 0);
  const auto check = run_memgate({"check", scenario, "--baselines", dir.file("b"), "--out",
                                  dir.file("out"), "--history", dir.file("history.jsonl"), "-q",
                                  "--json"}, 300, {}, dir.path());
  INFO(check.output);
  REQUIRE(check.exit_code == 0);  // a gate wide enough for any machine: this test is about files
  const json verdicts = json::parse(check.output);  // nothing but JSON on stdout with -q --json
  CHECK(verdicts["exit_code"] == 0);
  CHECK(verdicts["scenarios"][0]["verdict"]["status"] == "pass");
  CHECK_THAT(slurp(dir.file("out/summary.md")), Catch::Contains("quick · PASS") &&
                                                    Catch::Contains("| peak\\_bytes |"));
  CHECK_THAT(slurp(dir.file("out/junit.xml")), Catch::Contains("name=\"peak_bytes\""));
  expect_well_formed(dir.file("out/junit.xml"));
  expect_well_formed(dir.file("out/report.html"));
  std::vector<std::string> skipped;
  const std::string history = slurp(dir.file("history.jsonl"));
  REQUIRE(std::count(history.begin(), history.end(), '\n') == 1);
  const json entry = json::parse(history);
  CHECK(entry["scenario"] == "quick");
  CHECK(entry["verdict"] == "pass");
  CHECK(entry["metrics"].contains("peak_bytes"));
  CHECK(entry.contains("commit"));
}

TEST_CASE("reports: memgate trend prints the series, flags a step, writes its plot") {
  require_tool("xmllint", "libxml2-utils");
  TempDir dir;
  std::ofstream history(dir.file("history.jsonl"));
  for (int i = 0; i < 12; ++i) {
    const double peak = (i < 6 ? 100.0 : 130.0) * 1024 * 1024 + (i % 2) * 4096;
    history << json{{"time", "2026-01-" + std::to_string(10 + i) + "T03:00:00Z"},
                    {"commit", "c0ffee" + std::to_string(i)}, {"scenario", "nightly"},
                    {"verdict", i < 6 ? "pass" : "regressed"},
                    {"metrics", {{"peak_bytes", peak}}}}.dump()
            << "\n";
    if (i == 3) history << "{\"torn line\n";  // a crash mid-write: skipped, named
    if (i == 4) history << json{{"scenario", "other"}, {"metrics", {{"peak_bytes", 1}}}}.dump() << "\n";
  }
  history.close();
  const auto r = run_memgate({"trend", "nightly", "--history", dir.file("history.jsonl"), "--out",
                              dir.file("trend.html")});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("nightly · peak_bytes · 12 check(s)") &&
                           Catch::Contains("step +30.0%") &&
                           Catch::Contains("history.jsonl:5: not a history entry"));
  expect_well_formed(dir.file("trend.html"));
  CHECK(run_memgate({"trend", "nightly", "--history", dir.file("missing.jsonl")}).exit_code == 2);
  CHECK(run_memgate({"trend", "nightly", "--metric", "peak", "--history", dir.file("history.jsonl")})
            .exit_code == 2);
}

TEST_CASE("reports: progress is one line per phase without a terminal, in place on one") {
  require_tool("script", "bsdutils");
  TempDir dir;
  const std::string scenario = quick_scenario(dir);
  const auto plain = run_memgate({"run", scenario, "--out", dir.file("a"), "--repeat", "1"});
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.output, Catch::Contains("memgate: quick run 1/1: load (1 s)\n"));
  CHECK(plain.output.find('\r') == std::string::npos);
  // `script` gives memgate a pseudo-terminal.
  LaunchSpec spec;
  spec.argv = {"script", "-q", "-e", "-c",
               memgate_exe() + " run " + scenario + " --out " + dir.file("b") +
                   " --repeat 1 --set phases.load_s=2.5",
               "/dev/null"};
  spec.log_path = dir.file("tty.log");
  SutProcess tty(spec);
  const auto exit = tty.wait_exit(120'000);
  tty.stop(0);
  REQUIRE(exit);
  CHECK(exit->exit_code() == 0);
  const std::string out = slurp(dir.file("tty.log"));
  CHECK(out.find("\r\033[K") != std::string::npos);  // a line rewritten in place
  CHECK_THAT(out, Catch::Contains("ops/s"));
}

TEST_CASE("reports: the page renders in headless Chromium with its plot and no console error") {
  require_tool("chromium", "chromium");
  const std::string chromium = "chromium";
  TempDir dir;
  const std::string scenario = quick_scenario(dir);
  REQUIRE(run_memgate({"run", scenario, "--out", dir.file("out"), "-q"}).exit_code == 0);
  const std::string page = "file://" + dir.file("out/report.html");
  const auto chrome = [&](std::vector<std::string> extra, const std::string& log) {
    LaunchSpec spec;
    spec.argv = {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--user-data-dir=" + dir.file("profile"),
                 "--enable-logging=stderr", "--v=0"};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.argv.push_back(page);
    spec.log_path = log;
    SutProcess browser(spec);
    const auto exit = browser.wait_exit(120'000);
    browser.stop(5);
    REQUIRE(exit);
    CHECK(exit->exit_code() == 0);
    return slurp(log);
  };
  const std::string dom = chrome({"--dump-dom"}, dir.file("dom.log"));
  CHECK_THAT(dom, Catch::Contains("<svg") && Catch::Contains("polyline") &&
                      Catch::Contains("Memory over time"));
  CHECK(dom.find("CONSOLE") == std::string::npos);  // no console message, no error
  const std::string shot = std::string(MEMGATE_TEST_BINDIR) + "/../report-screenshot.png";
  const std::string log = chrome({"--window-size=1100,1400", "--screenshot=" + shot}, dir.file("shot.log"));
  CHECK(log.find("CONSOLE") == std::string::npos);
  CHECK(std::filesystem::file_size(shot) > 10'000);
  WARN("screenshot of the report: " << shot);
}
