// --shard I/N and `memgate merge`'s pure parts: the split, the manifest, the merge plan, the
// merged history, the verdict read back.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/shard/merge_plan.hpp"
#include "core/shard/merged_report.hpp"
#include "core/shard/shard.hpp"
#include "core/shard/shard_manifest.hpp"
#include "support/temp_dir.hpp"

using namespace memgate;

namespace {

// Scenario i is named "s<i>" and planned at these seconds (a mix of long, short and equal).
const std::vector<double> kPlanned{90, 30, 45, 45, 600, 10, 20};

std::vector<ShardItem> items(std::size_t n) {
  std::vector<ShardItem> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({"s" + std::to_string(i), kPlanned[i]});
  return out;
}

std::map<std::string, int> split(const std::vector<ShardItem>& list, int count) {
  const std::vector<int> shards = assign_shards(list, count);
  REQUIRE(shards.size() == list.size());
  std::map<std::string, int> out;
  for (std::size_t i = 0; i < list.size(); ++i) out[list[i].name] = shards[i];
  return out;
}

}  // namespace

TEST_CASE("shard: I/N is read, anything else is a usage error that says how") {
  CHECK(parse_shard("1/1").index == 1);
  CHECK(parse_shard("3/4").index == 3);
  CHECK(parse_shard("3/4").count == 4);
  CHECK(to_string(parse_shard("2/7")) == "2/7");
  for (const std::string bad :
       {"", "2", "0/3", "4/3", "2/0", "-1/3", "1/3x", "a/b", "1//3", "1/1001", " 1/2", "1/2 "}) {
    INFO(bad);
    try {
      parse_shard(bad);
      FAIL("accepted");
    } catch (const UsageError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("--shard " + bad + ":"));
      CHECK_THAT(e.hint(), Catch::Contains("--shard 2/4"));
    }
  }
}

TEST_CASE(
    "shard: for 1 to 7 scenarios and 1 to 4 shards the parts are disjoint and cover the list") {
  for (std::size_t n = 1; n <= 7; ++n) {
    for (int count = 1; count <= 4; ++count) {
      INFO(n << " scenarios, " << count << " shards");
      const auto list = items(n);
      const auto shard_of = split(list, count);
      std::vector<std::set<std::string>> parts(static_cast<std::size_t>(count));
      for (const auto& [name, shard] : shard_of) {
        REQUIRE(shard >= 1);
        REQUIRE(shard <= count);
        parts[static_cast<std::size_t>(shard - 1)].insert(name);
      }
      std::set<std::string> all;
      std::size_t total = 0;
      for (const auto& part : parts) {
        total += part.size();
        all.insert(part.begin(), part.end());
      }
      CHECK(total == n);       // disjoint: no name counted twice
      CHECK(all.size() == n);  // cover: every name in some part
      // No shard idles while another has two scenarios; the planned times differ by at most
      // the longest scenario.
      std::size_t nonempty = 0;
      double most = 0, least = 1e18, longest = 0;
      for (std::size_t s = 0; s < parts.size(); ++s) {
        nonempty += parts[s].empty() ? 0 : 1;
        double planned = 0;
        for (const auto& item : list) planned += parts[s].count(item.name) ? item.planned_s : 0;
        most = std::max(most, planned);
        least = std::min(least, planned);
      }
      for (const auto& item : list) longest = std::max(longest, item.planned_s);
      CHECK(nonempty == std::min<std::size_t>(n, static_cast<std::size_t>(count)));
      CHECK(most - least <= longest);
    }
  }
}

TEST_CASE("shard: the split depends on the list, not on its order") {
  for (int count = 1; count <= 4; ++count) {
    auto list = items(7);
    const auto first = split(list, count);
    std::reverse(list.begin(), list.end());
    CHECK(split(list, count) == first);
    std::rotate(list.begin(), list.begin() + 3, list.end());
    CHECK(split(list, count) == first);
  }
}

TEST_CASE("shard: the longest scenario gets a shard of its own, equal ones spread") {
  // 600 s alone on shard 1; the rest (260 s) on shard 2.
  const auto two = split(items(7), 2);
  CHECK(two.at("s4") == 1);
  for (const auto& name : {"s0", "s1", "s2", "s3", "s5", "s6"}) CHECK(two.at(name) == 2);
  // Scenarios planned at 0 s (no phases) still spread one per shard.
  const auto zeros = split({{"a", 0}, {"b", 0}, {"c", 0}}, 3);
  CHECK(std::set<int>{zeros.at("a"), zeros.at("b"), zeros.at("c")} == std::set<int>{1, 2, 3});
  CHECK_THROWS_AS(assign_shards({{"a", 1}, {"a", 2}}, 2), std::invalid_argument);
}

namespace {

ShardManifest manifest(int index, int count, std::vector<std::string> finished,
                       std::optional<int> exit = 0) {
  ShardManifest m;
  m.memgate_version = "0.1.0";
  m.command = "check";
  m.commit = "c0ffee";
  m.shard = {index, count};
  // a, b, c, d on shards 1, 2, 3, 1 (of 3)
  const std::vector<std::pair<std::string, int>> list{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 1}};
  for (const auto& [name, shard] : list) {
    m.scenarios.push_back({name, name + ".json", "hash-" + name, shard});
  }
  m.started_at = "2026-11-27T03:00:00Z";
  if (exit) {
    m.finished_at = "2026-11-27T03:10:00Z";
    m.exit_code = *exit;
  }
  for (const auto& name : finished) {
    m.results.push_back({name, name + "/report.json", "2026-11-27T03:0" + name + "Z"});
  }
  return m;
}


}  // namespace

TEST_CASE("shard manifest: written and read back, and file names name their shard") {
  const ShardManifest m = manifest(1, 3, {"a"}, std::nullopt);
  test::TempDir f;
  const ShardManifest back = read_manifest_file(f.write("m.json", manifest_to_json(m).dump()));
  CHECK(back.shard.index == 1);
  CHECK(back.shard.count == 3);
  REQUIRE(back.scenarios.size() == 4);
  CHECK(back.scenarios[2].name == "c");
  CHECK(back.scenarios[2].shard == 3);
  CHECK_FALSE(back.exit_code);
  CHECK_FALSE(back.finished_at);
  REQUIRE(back.results.size() == 1);
  CHECK(back.results[0].report == "a/report.json");
  CHECK(back.results[0].created_at == "2026-11-27T03:0aZ");
  CHECK(back.scenarios[2].hash == "hash-c");
  CHECK(back.commit == "c0ffee");
  CHECK(manifest_file_name({2, 4}) == "shard-2-of-4.json");
  CHECK(shard_of_manifest_name("shard-2-of-4.json")->index == 2);
  CHECK_FALSE(shard_of_manifest_name("shard-5-of-4.json"));
  CHECK_FALSE(shard_of_manifest_name("shard-0-of-4.json"));
  CHECK_FALSE(shard_of_manifest_name("shard-2-of-4.json.tmp"));
  CHECK_FALSE(shard_of_manifest_name("report.json"));
}

TEST_CASE("shard manifest: damage is exit 2 naming the file and the JSON path") {
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> damage;
    const char* path;
  };
  const std::vector<Case> cases{
      {"another schema", [](nlohmann::json& j) { j["schema_version"] = 9; }, "/schema_version"},
      {"a result of another shard", [](nlohmann::json& j) { j["results"][0]["scenario"] = "b"; },
       "/results/0/scenario"},
      {"an absolute report path",
       [](nlohmann::json& j) { j["results"][0]["report"] = "/etc/passwd"; }, "/results/0/report"},
      {"a report path out of the folder",
       [](nlohmann::json& j) { j["results"][0]["report"] = "../x/report.json"; },
       "/results/0/report"},
      {"a scenario listed twice", [](nlohmann::json& j) { j["scenarios"][1]["name"] = "a"; },
       "/scenarios/1/name"},
      {"a shard past N", [](nlohmann::json& j) { j["scenarios"][1]["shard"] = 4; },
       "/scenarios/1/shard"},
      {"an unknown command", [](nlohmann::json& j) { j["command"] = "baseline"; }, "/command"},
  };
  test::TempDir f;
  for (const auto& c : cases) {
    INFO(c.name);
    nlohmann::json j = manifest_to_json(manifest(1, 3, {"a"}));
    c.damage(j);
    const std::string file = f.write("m.json", j.dump());
    try {
      read_manifest_file(file);
      FAIL("accepted");
    } catch (const InputError& e) {
      CHECK(e.file() == file);
      CHECK(e.json_path() == c.path);
    }
  }
}

TEST_CASE("merge plan: every scenario's report, from the manifest of its shard") {
  const MergePlan plan = plan_merge({{"/r/1/shard-1-of-3.json", manifest(1, 3, {"d", "a"})},
                                     {"/r/2/shard-2-of-3.json", manifest(2, 3, {"b"})},
                                     {"/r/3/shard-3-of-3.json", manifest(3, 3, {"c"})}});
  CHECK(plan.shard_count == 3);
  REQUIRE(plan.entries.size() == 4);  // in the list's order
  CHECK(plan.entries[0].scenario == "a");
  CHECK(plan.entries[0].report_path == "/r/1/a/report.json");
  CHECK(plan.entries[0].report_created_at == "2026-11-27T03:0aZ");
  CHECK(plan.entries[0].hash == "hash-a");
  CHECK(plan.entries[1].report_path == "/r/2/b/report.json");
  CHECK(plan.entries[2].report_path == "/r/3/c/report.json");
  CHECK(plan.entries[3].report_path == "/r/1/d/report.json");
  CHECK(to_string(plan.entries[3].shard) == "1/3");
  for (const auto& e : plan.entries) CHECK(e.missing_reason.empty());
}

TEST_CASE("merge plan: a missing or unfinished shard leaves its scenarios without a report") {
  const MergePlan plan =
      plan_merge({{"/r/1/shard-1-of-3.json", manifest(1, 3, {"a"}, std::nullopt)},
                  {"/r/3/shard-3-of-3.json", manifest(3, 3, {}, 0)}});
  REQUIRE(plan.entries.size() == 4);
  CHECK(plan.entries[0].report_path == "/r/1/a/report.json");
  CHECK_THAT(plan.entries[1].missing_reason,
             Catch::Contains("shard 2/3 is missing (no shard-2-of-3.json"));
  CHECK_THAT(plan.entries[2].missing_reason,
             Catch::Contains("shard 3/3 finished (exit 0) without running it"));
  CHECK_THAT(plan.entries[3].missing_reason, Catch::Contains("shard 1/3 did not finish"));
  std::vector<MergedScenario> merged;
  for (const auto& e : plan.entries) {
    if (e.report_path.empty()) merged.push_back(missing_scenario(e));
  }
  REQUIRE(merged.size() == 3);
  CHECK(merged[0].status == "missing");
  CHECK(merged_exit(merged) == ExitCode::run_failed);
  CHECK(merged[0].junit.cases.at(0).kind == "error");
  const std::string xml = render_junit({merged[0].junit});
  CHECK_THAT(xml, Catch::Contains("type=\"not-run\""));
  // A shard that refused its input (exit 2: a damaged baseline) makes its scenarios bad input.
  const MergePlan refused = plan_merge({{"/r/3/shard-3-of-3.json", manifest(3, 3, {}, 2)}});
  CHECK(refused.entries[2].missing_exit == ExitCode::bad_input);
  CHECK(refused.entries[1].missing_exit == ExitCode::run_failed);  // shard 2: missing
  CHECK(missing_scenario(refused.entries[2]).exit == ExitCode::bad_input);
}

TEST_CASE("merge plan: shards that cannot be one verdict are exit 2 naming the file") {
  struct Case {
    const char* name;
    std::function<void(ShardManifest&)> change;
    const char* path;
  };
  const std::vector<Case> cases{
      {"another memgate", [](ShardManifest& m) { m.memgate_version = "0.2.0"; },
       "/memgate_version"},
      {"another command", [](ShardManifest& m) { m.command = "run"; }, "/command"},
      {"another shard count", [](ShardManifest& m) { m.shard.count = 4; }, "/shard/count"},
      {"another commit", [](ShardManifest& m) { m.commit = "beef"; }, "/commit"},
      {"another list", [](ShardManifest& m) { m.scenarios.pop_back(); }, "/scenarios"},
      {"another scenario file", [](ShardManifest& m) { m.scenarios[0].hash = "changed"; },
       "/scenarios"},
      {"another split", [](ShardManifest& m) { m.scenarios[3].shard = 2; }, "/scenarios"},
      {"the same shard twice", [](ShardManifest& m) { m.shard.index = 1; }, "/shard/index"},
      {"a result twice", [](ShardManifest& m) { m.results.push_back(m.results.front()); },
       "/results/1"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    ShardManifest second = manifest(2, 3, {"b"});
    c.change(second);
    try {
      plan_merge({{"/r/1/shard-1-of-3.json", manifest(1, 3, {"a", "d"})},
                  {"/r/2/shard-2-of-3.json", second}});
      FAIL("accepted");
    } catch (const InputError& e) {
      CHECK(e.file() == "/r/2/shard-2-of-3.json");
      CHECK(e.json_path() == c.path);
    }
  }
  CHECK_THROWS_AS(plan_merge({}), UsageError);
}

TEST_CASE("merge plan: the list in another order or an unknown commit is still one run") {
  ShardManifest second = manifest(2, 3, {"b"});
  std::reverse(second.scenarios.begin(), second.scenarios.end());
  second.commit = "";  // not a git checkout there
  const MergePlan plan = plan_merge(
      {{"/r/1/shard-1-of-3.json", manifest(1, 3, {"a", "d"})}, {"/r/2/shard-2-of-3.json", second}});
  REQUIRE(plan.entries.size() == 4);
  CHECK(plan.entries[0].scenario == "a");  // the first manifest's order
  CHECK(plan.entries[1].report_path == "/r/2/b/report.json");
}

namespace {

// A read-back report of `scenario` whose runs are valid (or not) with this verdict (or none).
ReportForGate read_report(bool valid, const std::optional<VerdictStatus>& status) {
  ReportForGate r;
  r.report.scenario = "a";
  r.report.created_at = "2026-11-27T03:0aZ";
  RunRecord run;
  run.index = 1;
  run.valid = valid;
  if (!valid) run.problems = {"the SUT crashed"};
  r.report.runs = {run};
  if (status) {
    Verdict v;
    v.status = *status;
    Check c;
    c.metric = "peak_bytes";
    c.status = *status == VerdictStatus::regressed ? CheckStatus::regressed : CheckStatus::pass;
    v.checks = {c};
    r.report.verdict = verdict_to_json(v);
  }
  return r;
}

}  // namespace

TEST_CASE("merged scenario: status and exit code as check gave them, and the worst wins") {
  const MergeEntry entry{"a", "hash-a", {1, 2}, "/r/a/report.json", "", "", ExitCode::run_failed};
  struct Case {
    bool valid;
    std::optional<VerdictStatus> verdict;
    const char* status;
    ExitCode exit;
    const char* junit_kind;  // of the first case
  };
  const std::vector<Case> cases{
      {true, VerdictStatus::pass, "pass", ExitCode::ok, ""},
      {true, VerdictStatus::improved, "improved", ExitCode::ok, ""},
      {true, VerdictStatus::regressed, "regressed", ExitCode::regressed, "failure"},
      {true, VerdictStatus::no_baseline, "no-baseline", ExitCode::no_verdict, ""},
      {true, VerdictStatus::inconclusive, "inconclusive", ExitCode::no_verdict, ""},
      {false, std::nullopt, "invalid", ExitCode::run_failed, "error"},
      {true, std::nullopt, "measured", ExitCode::ok, ""},
  };
  for (const auto& c : cases) {
    INFO(c.status);
    const MergedScenario m = merged_scenario(entry, read_report(c.valid, c.verdict), "");
    CHECK(m.status == c.status);
    CHECK(m.exit == c.exit);
    REQUIRE_FALSE(m.junit.cases.empty());
    CHECK(m.junit.cases[0].kind == c.junit_kind);
  }
  const auto with = [&](std::vector<ExitCode> codes) {
    std::vector<MergedScenario> list;
    for (ExitCode code : codes) {
      MergedScenario m = missing_scenario(entry);
      m.exit = code;
      list.push_back(m);
    }
    return merged_exit(list);
  };
  CHECK(with({}) == ExitCode::ok);
  CHECK(with({ExitCode::ok, ExitCode::no_verdict}) == ExitCode::no_verdict);
  CHECK(with({ExitCode::no_verdict, ExitCode::regressed, ExitCode::ok}) == ExitCode::regressed);
  CHECK(with({ExitCode::regressed, ExitCode::run_failed}) == ExitCode::run_failed);
  CHECK(with({ExitCode::run_failed, ExitCode::bad_input}) == ExitCode::bad_input);
  MergePlan run_plan;
  run_plan.command = "run";
  MergePlan check_plan;
  check_plan.command = "check";
  CHECK(std::string(merged_status(run_plan, ExitCode::ok)) == "measured");
  CHECK(std::string(merged_status(check_plan, ExitCode::ok)) == "pass");
  CHECK(std::string(merged_status(check_plan, ExitCode::no_verdict)) == "no-verdict");
}

TEST_CASE("merged history: every distinct line once, in time order, nothing else lost") {
  const std::string kept = R"({"time":"2026-11-25T03:00:00Z","scenario":"a"})";
  const std::string a1 = R"({"time":"2026-11-27T03:05:00Z","scenario":"a"})";
  const std::string b1 = R"({"time":"2026-11-27T03:04:00Z","scenario":"b"})";
  const std::string c1 = R"({"time":"2026-11-27T03:06:00Z","scenario":"c"})";
  const std::string cut = R"({"time":"2026-11-27T03:0)";  // a line a crash cut short
  const std::string merged = merge_history_texts(
      {kept + "\n", kept + "\n" + a1 + "\n" + cut, kept + "\n" + c1 + "\n" + b1 + "\n"});
  CHECK(merged == cut + "\n" + kept + "\n" + b1 + "\n" + a1 + "\n" + c1 + "\n");
  CHECK(merge_history_texts({}).empty());
}

TEST_CASE("verdict: read back as it was written") {
  Verdict v;
  v.status = VerdictStatus::regressed;
  v.notes = {"a note"};
  v.same_machine = false;
  v.current_runs = 5;
  Check regressed;
  regressed.metric = "peak_bytes";
  regressed.status = CheckStatus::regressed;
  regressed.baseline = 1000;
  regressed.current = 1500;
  regressed.change = 500;
  regressed.change_pct = 50;
  regressed.p_value = 0.008;
  regressed.threshold = "+10%";
  regressed.reason = "beyond the noise";
  Check budget;
  budget.metric = "plateau_bytes";
  budget.status = CheckStatus::no_baseline;
  budget.budget = true;
  v.checks = {regressed, budget};
  nlohmann::json j = verdict_to_json(v);
  j["reruns"] = 1;  // what gated_run adds is left alone
  const Verdict back = verdict_from_json(j, "r.json", "/verdict");
  CHECK(back.status == VerdictStatus::regressed);
  CHECK(back.notes == v.notes);
  CHECK_FALSE(back.same_machine);
  CHECK(back.current_runs == 5);
  REQUIRE(back.checks.size() == 2);
  CHECK(back.checks[0].metric == "peak_bytes");
  CHECK(back.checks[0].status == CheckStatus::regressed);
  CHECK(back.checks[0].change_pct == Approx(50));
  CHECK(back.checks[0].p_value == Approx(0.008));
  CHECK(back.checks[0].reason == "beyond the noise");
  CHECK(back.checks[1].budget);
  CHECK(back.checks[1].status == CheckStatus::no_baseline);
  CHECK_FALSE(back.checks[1].baseline);
  CHECK(verdict_to_json(back).dump() == verdict_to_json(v).dump());
  j["checks"][0]["status"] = "worse";
  try {
    verdict_from_json(j, "r.json", "/verdict");
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(e.json_path() == "/verdict/checks/0/status");
  }
}
