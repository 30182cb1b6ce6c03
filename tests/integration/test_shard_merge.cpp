// Shards and merge end to end: `memgate check --shard I/N` on a list of small scenarios whose
// verdicts do not depend on noise (budgets, no baseline, a crash), then `memgate merge`, compared
// with the unsharded check of the same list.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "support/support.hpp"

using namespace memgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A command SUT holding 16 MiB for 0.3 s (or crashing), gated by `gate`.
std::string scenario_text(const std::string& name, const json& gate, bool crash = false) {
  json sut = json::array({"{bindir}/mg-test-sut", "--alloc-mib", "16", "--run-ms", "300"});
  if (crash) sut.push_back("--crash");
  return json{{"name", name},
              {"sut", {{"command", sut}}},
              {"watch", {{"interval_ms", 10}}},
              {"phases", {{"warmup_s", 0.1}}},
              {"driver", {{"type", "command"}}},
              {"repeat", 1},
              {"gate", gate}}
      .dump();
}

struct Suite {
  TempDir dir;
  std::vector<std::string> files;
  Suite() {
    const json pass = {{"budgets", {{"peak_bytes", 1 << 30}}}};
    files = {
        dir.write("a.json", scenario_text("pass-a", pass)),
        dir.write("b.json", scenario_text("regressed-b", {{"budgets", {{"peak_bytes", 1 << 20}}}})),
        dir.write("c.json",
                  scenario_text("nobase-c", {{"peak_bytes", {{"max_increase_pct", 10}}}})),
        dir.write("d.json", scenario_text("invalid-d", pass, true)),
        dir.write("e.json", scenario_text("pass-e", pass))};
  }
  CliResult memgate(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, files.begin(), files.end());
    args.insert(args.end(), {"--baselines", dir.file("baselines"), "--quiet"});
    return run_memgate(args, 300, {}, dir.path());
  }
  // Shards 1..count into dir/<prefix>I; returns their folders.
  std::vector<std::string> shards(int count, const std::string& prefix) const {
    std::vector<std::string> out;
    for (int i = 1; i <= count; ++i) {
      out.push_back(dir.file(prefix + std::to_string(i)));
      const auto r = memgate({"check", "--shard", std::to_string(i) + "/" + std::to_string(count),
                              "--out", out.back()});
      INFO(r.output);
      REQUIRE(r.exit_code >= 0);
      REQUIRE(fs::exists(out.back() + "/shard-" + std::to_string(i) + "-of-" +
                         std::to_string(count) + ".json"));
    }
    return out;
  }
};

// suite|case|kind of every test case of a junit.xml memgate wrote (kind: passed, failure,
// error, skipped).
std::set<std::string> junit_cases(const std::string& xml) {
  std::set<std::string> out;
  static const std::regex testcase(R"re(<testcase classname="memgate\.([^"]*)" name="([^"]*)")re");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), testcase);
       it != std::sregex_iterator(); ++it) {
    const std::size_t start = static_cast<std::size_t>(it->position(0));
    const std::size_t end = xml.find("</testcase>", start);
    const std::string body =
        xml.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const char* kind = body.find("<failure") != std::string::npos   ? "failure"
                       : body.find("<error") != std::string::npos   ? "error"
                       : body.find("<skipped") != std::string::npos ? "skipped"
                                                                    : "passed";
    out.insert((*it)[1].str() + "|" + (*it)[2].str() + "|" + kind);
  }
  return out;
}

CliResult merge(const std::vector<std::string>& dirs, const std::string& out,
                const std::string& history = "none") {
  std::vector<std::string> args{"merge"};
  args.insert(args.end(), dirs.begin(), dirs.end());
  args.insert(args.end(), {"--out", out, "--history", history});
  return run_memgate(args);
}

void edit_json(const std::string& path, const std::function<void(json&)>& edit) {
  json j = json::parse(slurp(path));
  edit(j);
  std::ofstream(path) << j.dump(1);
}

}  // namespace

TEST_CASE("shard merge: the merged verdict and junit equal the unsharded check's") {
  require_tool("xmllint", "libxml2-utils");
  Suite s;
  const auto whole =
      s.memgate({"check", "--out", s.dir.file("whole"), "--history", "none", "--json"});
  INFO(whole.output);
  REQUIRE(whole.exit_code == 3);          // worst of pass, regressed, no baseline, invalid
  std::map<std::string, int> whole_exit;  // check --json: each scenario's exit code
  const auto json_start = whole.output.find("{\n");
  REQUIRE(json_start != std::string::npos);
  const json verdicts = json::parse(whole.output.substr(json_start));
  for (const auto& item : verdicts["scenarios"]) {
    whole_exit[item["scenario"]] = item["exit_code"];
  }
  REQUIRE(whole_exit.size() == 5);
  CHECK(whole_exit.at("regressed-b") == 1);
  CHECK(whole_exit.at("nobase-c") == 4);
  std::set<std::string> whole_cases;
  std::map<std::string, std::string> whole_status;
  for (const std::string name : {"pass-a", "regressed-b", "nobase-c", "invalid-d", "pass-e"}) {
    const auto cases = junit_cases(slurp(s.dir.file("whole/" + name + "/junit.xml")));
    whole_cases.insert(cases.begin(), cases.end());
    const json report = json::parse(slurp(s.dir.file("whole/" + name + "/report.json")));
    whole_status[name] =
        report.contains("verdict") ? report["verdict"]["status"].get<std::string>() : "invalid";
  }
  REQUIRE(whole_cases.count("regressed-b|peak_bytes (budget)|failure") == 1);
  REQUIRE(whole_cases.count("invalid-d|run 1|error") == 1);
  REQUIRE(whole_cases.count("nobase-c|baseline|skipped") == 1);

  for (const int count : {2, 3}) {
    INFO(count << " shards");
    const auto dirs = s.shards(count, "shard" + std::to_string(count) + "-");
    const std::string out = s.dir.file("merged" + std::to_string(count));
    const auto merged = merge(dirs, out);
    INFO(merged.output);
    CHECK(merged.exit_code == whole.exit_code);
    CHECK(junit_cases(slurp(out + "/junit.xml")) == whole_cases);
    const json verdict = json::parse(slurp(out + "/verdict.json"));
    CHECK(verdict["exit_code"] == 3);
    CHECK(verdict["shards"] == count);
    REQUIRE(verdict["scenarios"].size() == 5);
    for (const auto& item : verdict["scenarios"]) {
      const std::string name = item["scenario"];
      CHECK(item["status"] == whole_status.at(name));
      CHECK(item["exit_code"] == whole_exit.at(name));
    }
    const std::string md = slurp(out + "/summary.md");
    CHECK_THAT(md, Catch::Contains("| regressed-b | "));
    CHECK_THAT(md, Catch::Contains("## memgate · regressed-b · REGRESSED"));  // its own table
    CHECK_THAT(merged.output, Catch::Contains("merged 5 scenario(s) from " + std::to_string(count) +
                                              " shard(s): invalid (exit 3)"));
  }
  expect_well_formed(s.dir.file("merged3/junit.xml"));
}

TEST_CASE(
    "shard merge: a missing shard, an unfinished one and a folder without a manifest are "
    "exit 3 with the scenarios named") {
  Suite s;
  const auto dirs = s.shards(3, "s");
  json manifest1 = json::parse(slurp(dirs[0] + "/shard-1-of-3.json"));
  REQUIRE_FALSE(manifest1["results"].empty());
  const std::string first = manifest1["results"][0]["scenario"];
  std::set<std::string> of_shards_1_2;  // the scenarios that lose their report below
  for (const auto& item : manifest1["scenarios"]) {
    if (item["shard"] != 3) of_shards_1_2.insert(item["name"].get<std::string>());
  }
  // Shard 1 "died" after its first scenario started: no result, no exit code.
  edit_json(dirs[0] + "/shard-1-of-3.json", [](json& j) {
    j["results"] = json::array();
    j["exit_code"] = nullptr;
    j["finished_at"] = nullptr;
  });
  // Shard 2's artifact came without its manifest.
  fs::remove(dirs[1] + "/shard-2-of-3.json");
  const auto r = merge(dirs, s.dir.file("m"));
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("warning: " + dirs[1] + " holds no shard manifest"));
  CHECK_THAT(r.output,
             Catch::Contains(first + " (shard 1/3): NO REPORT: shard 1/3 did not finish"));
  CHECK_THAT(r.output, Catch::Contains("NO REPORT: shard 2/3 is missing (no shard-2-of-3.json"));
  const std::string xml = slurp(s.dir.file("m/junit.xml"));
  CHECK_THAT(xml, Catch::Contains("type=\"not-run\""));
  const json verdict = json::parse(slurp(s.dir.file("m/verdict.json")));
  std::set<std::string> missing;
  for (const auto& item : verdict["scenarios"]) {
    if (item["status"] != "missing") continue;
    missing.insert(item["scenario"].get<std::string>());
    CHECK(item["exit_code"] == 3);
  }
  CHECK(missing == of_shards_1_2);
  // Not one folder with a manifest: nothing ran.
  const auto none = merge({dirs[1]}, s.dir.file("m2"));
  CHECK(none.exit_code == 3);
  CHECK_THAT(none.output, Catch::Contains("none of the folders holds a shard manifest"));
}

TEST_CASE(
    "shard merge: mixed memgate versions and duplicated shards or scenarios are exit 2 "
    "naming the file") {
  Suite s;
  const auto dirs = s.shards(2, "s");
  const std::string manifest2 = dirs[1] + "/shard-2-of-2.json";
  SECTION("a shard of another memgate") {
    edit_json(manifest2, [](json& j) { j["memgate_version"] = "0.0.9"; });
    fs::create_directories(s.dir.file("m"));
    s.dir.write("m/verdict.json", R"({"status": "pass", "exit_code": 0})");  // an earlier merge's
    const auto r = merge(dirs, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(manifest2 + ": /memgate_version: written by memgate "
                                                     "0.0.9"));
    CHECK_FALSE(fs::exists(s.dir.file("m/verdict.json")));  // no verdict stands for this one
  }
  SECTION("a report of another memgate") {
    const json m = json::parse(slurp(manifest2));
    const std::string report = dirs[1] + "/" + m["results"][0]["report"].get<std::string>();
    edit_json(report, [](json& j) { j["memgate_version"] = "0.0.9"; });
    const auto r = merge(dirs, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(report + ": /memgate_version"));
  }
  SECTION("the same shard twice") {
    fs::copy(dirs[1], s.dir.file("copy"), fs::copy_options::recursive);
    const auto r = merge({dirs[0], dirs[1], s.dir.file("copy")}, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("shard 2/2 is given twice"));
  }
  SECTION("a result for another shard's scenario") {
    // Shard 2's manifest also claims a scenario of shard 1.
    const json m1 = json::parse(slurp(dirs[0] + "/shard-1-of-2.json"));
    edit_json(manifest2, [&](json& j) { j["results"].push_back(m1["results"][0]); });
    const auto r = merge(dirs, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(manifest2));
    CHECK_THAT(r.output, Catch::Contains("is not one of shard 2/2's scenarios"));
  }
}

TEST_CASE("shard merge: a report rewritten since its shard wrote it is exit 2 naming it") {
  Suite s;
  const auto dirs = s.shards(1, "s");
  const std::string report = dirs[0] + "/pass-a/report.json";
  SECTION("by a run into the same folder") {
    const auto rerun = run_memgate({"run", s.files[0], "--out", dirs[0] + "/pass-a", "--quiet"});
    REQUIRE(rerun.exit_code == 0);
    const auto r = merge(dirs, s.dir.file("m"));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(report + ": /"));  // created_at, or the missing verdict
    CHECK_THAT(r.output, Catch::Contains("not the report its shard wrote"));
  }
  SECTION("at another time") {
    edit_json(report, [](json& j) { j["created_at"] = "2020-01-01T00:00:00Z"; });
    const auto r = merge(dirs, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(report + ": /created_at: written at 2020-01-01"));
  }
  SECTION("of another version of the scenario") {
    edit_json(report, [](json& j) { j["scenario_hash"] = "0000"; });
    const auto r = merge(dirs, s.dir.file("m"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(report + ": /scenario_hash"));
  }
}

TEST_CASE("shard merge: an interrupted shard leaves its manifest unfinished") {
  TempDir dir;
  const std::string slow =
      dir.write("slow.json", scenario_text("slow", {{"budgets", {{"peak_bytes", 1 << 30}}}}));
  edit_json(slow, [](json& j) { j["sut"]["command"][4] = "600000"; });  // --run-ms
  const auto memgate = start_memgate_until(
      {"check", slow, "--shard", "1/1", "--out", dir.file("s1"), "--history", "none"},
      dir.file("memgate.log"), "run 1/1: load");
  ::kill(memgate->pid(), SIGINT);
  const auto exit = memgate->wait_exit(60'000);
  REQUIRE(exit);
  CHECK(exit->exit_code() == 3);
  memgate->output()->stop();
  const json m = json::parse(slurp(dir.file("s1/shard-1-of-1.json")));
  CHECK(m["exit_code"].is_null());
  CHECK(m["finished_at"].is_null());
  // The interrupted scenario's partial report is its result: invalid, never a pass.
  const auto r = merge({dir.file("s1")}, dir.file("m"));
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("slow (shard 1/1): invalid"));
}

TEST_CASE(
    "shard merge: a shard that refuses a damaged baseline records exit 2, and so does merge") {
  Suite s;
  fs::create_directories(s.dir.file("baselines"));
  s.dir.write("baselines/pass-a.json", "{ not json");
  const auto a = s.memgate({"check", "--shard", "1/1", "--out", s.dir.file("s1")});
  INFO(a.output);
  CHECK(a.exit_code == 2);
  CHECK_THAT(a.output, Catch::Contains("baselines/pass-a.json"));
  const json m = json::parse(slurp(s.dir.file("s1/shard-1-of-1.json")));
  CHECK(m["exit_code"] == 2);
  CHECK(m["results"].empty());
  const auto merged = merge({s.dir.file("s1")}, s.dir.file("m"));
  INFO(merged.output);
  CHECK(merged.exit_code == 2);
  CHECK_THAT(merged.output, Catch::Contains("shard 1/1 finished (exit 2) without running it"));
}

TEST_CASE("shard merge: the shards' history lines are merged in time order into the history") {
  Suite s;
  const auto dirs = s.shards(2, "s");
  const std::string history = s.dir.file("history.jsonl");
  const std::string old_line = R"({"time":"2026-01-01T00:00:00Z","scenario":"pass-a"})";
  s.dir.write("history.jsonl", old_line + "\n");
  std::size_t shard_lines = 0;
  for (const auto& d : dirs) {
    std::istringstream in(slurp(d + "/history.jsonl"));
    for (std::string line; std::getline(in, line);) shard_lines += !line.empty();
  }
  CHECK(shard_lines == 5);                   // one per scenario, each in its shard's folder
  for (int twice = 0; twice < 2; ++twice) {  // merging again adds nothing
    const auto r = merge(dirs, s.dir.file("m"), history);
    INFO(r.output);
    CHECK(r.exit_code == 3);
  }
  std::istringstream in(slurp(history));
  std::vector<std::string> times;
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    times.push_back(json::parse(line)["time"]);
  }
  CHECK(lines == shard_lines + 1);
  CHECK(times.front() == "2026-01-01T00:00:00Z");
  CHECK(std::is_sorted(times.begin(), times.end()));
}

TEST_CASE("shard: bad --shard, duplicate names and empty shards") {
  Suite s;
  for (const std::string bad : {"0/2", "3/2", "x", "1/0"}) {
    const auto r = s.memgate({"check", "--shard", bad, "--out", s.dir.file("o")});
    INFO(bad << ": " << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("error: --shard " + bad + ":"));
    CHECK_FALSE(fs::exists(s.dir.file("o")));
  }
  const std::string twin = s.dir.write("twin.json", slurp(s.files[0]));
  const auto dup = run_memgate(
      {"check", s.files[0], twin, "--shard", "1/2", "--out", s.dir.file("o"), "--quiet"});
  CHECK(dup.exit_code == 2);
  CHECK_THAT(dup.output, Catch::Contains(twin + ": /name: scenario 'pass-a' is also the name of " +
                                         s.files[0]));
  // More shards than scenarios: the empty ones say so, finish at once and merge as such.
  const auto empty = run_memgate({"run", s.files[0], "--shard", "2/2", "--out", s.dir.file("e2")});
  INFO(empty.output);
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.output, Catch::Contains("shard 2/2: none of the 1 scenario(s): nothing to run"));
  const json m = json::parse(slurp(s.dir.file("e2/shard-2-of-2.json")));
  CHECK(m["exit_code"] == 0);
  CHECK(m["results"].empty());
  const auto one =
      run_memgate({"run", s.files[0], "--shard", "1/2", "--out", s.dir.file("e1"), "--quiet"});
  CHECK(one.exit_code == 0);
  CHECK(fs::exists(s.dir.file("e1/pass-a/report.json")));  // a folder per scenario, even one
  const auto merged = merge({s.dir.file("e1"), s.dir.file("e2")}, s.dir.file("m"));
  INFO(merged.output);
  CHECK(merged.exit_code == 0);
  CHECK_THAT(merged.output, Catch::Contains("pass-a (shard 1/2): measured"));
}
