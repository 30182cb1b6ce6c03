// Timing against the drift between sittings: baselines of several sittings (written, read,
// appended), the band they give timing rules, a single sitting's provisional verdicts, sittings
// chosen by the host's speed, and rules whose reference is the history (from_history).

#include <catch2/catch.hpp>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/report/history.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

const nlohmann::json kHost = {
    {"cpu_model", "AMD EPYC"}, {"cores", 2}, {"memory_bytes", 25276502016}, {"arch", "x86_64"}};

// A report of runs with these CPU-per-operation figures, on a host of this speed index.
Report report_with_cpu(std::vector<double> cpu_us, double speed_ms = 40,
                       const std::string& at = "2026-12-07T08:00:00Z") {
  Report r;
  r.scenario = "worker";
  r.scenario_hash = "hash-1";
  r.created_at = at;
  r.environment = kHost;
  r.environment[kSpeedKey] = speed_ms;
  int index = 0;
  for (const double cpu : cpu_us) {
    RunRecord run;
    run.index = ++index;
    run.metrics.cpu_us_per_op = cpu;
    run.metrics.peak_bytes = 100 << 20;
    r.runs.push_back(run);
  }
  return r;
}

GateSpec cpu_rule(std::optional<HistoryWindow> window = std::nullopt) {
  GateSpec spec;
  spec.rules.push_back({"cpu_us_per_op", 15, std::nullopt, window});
  return spec;
}

Verdict check(const GateSpec& spec, const Baseline& base, std::vector<double> cpu_us,
              double speed_ms = 40, const std::vector<HistoryEntry>& history = {}) {
  return gate_report(report_with_cpu(std::move(cpu_us), speed_ms), spec, &base, history);
}

const Check& only_check(const Verdict& v) {
  REQUIRE(v.checks.size() == 1);
  return v.checks.front();
}

std::vector<double> times(std::vector<double> values, double factor) {
  for (double& v : values) v *= factor;
  return values;
}

const std::vector<double> kRuns = {2200, 2230, 2243, 2260, 2290};

}  // namespace

TEST_CASE("sittings: a baseline keeps each sitting's runs, speed and contention") {
  Report first = report_with_cpu(kRuns, 40, "2026-12-07T08:00:00Z");
  first.summary.contention_pct = 0.4;
  const Baseline one = make_baseline(first, "");
  REQUIRE(one.sittings.size() == 1);
  CHECK(one.sittings[0].repetitions == 5);
  CHECK(one.sittings[0].speed_ms == 40);
  CHECK(one.sittings[0].contention_pct == 0.4);
  const Baseline two = append_sitting(
      one, make_baseline(report_with_cpu(times(kRuns, 1.3), 42, "2026-12-07T09:00:00Z"), ""));
  REQUIRE(two.sittings.size() == 2);
  CHECK(two.repetitions == 10);
  CHECK(two.metrics.at("cpu_us_per_op").values.size() == 10);
  CHECK(two.sittings[1].created_at == "2026-12-07T09:00:00Z");
  CHECK(two.sittings[1].speed_ms == 42);
  CHECK(sitting_medians(two, "cpu_us_per_op") == std::vector<double>{2243, 2243 * 1.3});
  CHECK(two.created_at == one.created_at);  // when the baseline was begun

  // The file keeps every sitting and reads back the same.
  const Baseline back = baseline_from_json(baseline_to_json(two), "b.json");
  REQUIRE(back.sittings.size() == 2);
  CHECK(back.sittings[1].values == two.sittings[1].values);
  CHECK(back.sittings[0].speed_ms == 40);
  CHECK(back.metrics.at("cpu_us_per_op").values == two.metrics.at("cpu_us_per_op").values);
}

TEST_CASE("sittings: the oldest are dropped beyond the most a baseline keeps") {
  Baseline b = make_baseline(report_with_cpu({1000}), "");
  for (std::size_t i = 1; i < kMaxSittings + 3; ++i) {
    b = append_sitting(b, make_baseline(report_with_cpu({1000.0 + static_cast<double>(i)}), ""));
  }
  REQUIRE(b.sittings.size() == kMaxSittings);
  CHECK(b.repetitions == static_cast<int>(kMaxSittings));
  CHECK(b.metrics.at("cpu_us_per_op").min == 1003);  // sittings 0, 1 and 2 are gone
}

TEST_CASE("sittings: a baseline file whose sittings disagree with its runs is refused") {
  const Baseline two = append_sitting(make_baseline(report_with_cpu(kRuns), ""),
                                      make_baseline(report_with_cpu(kRuns), ""));
  json doc = baseline_to_json(two);
  SECTION("a value edited in one place") {
    doc["sittings"][1]["values"]["cpu_us_per_op"][0] = 1;
    CHECK_THROWS_AS(baseline_from_json(doc, "b.json"), InputError);
  }
  SECTION("repetitions that do not add up") {
    doc["sittings"][1]["repetitions"] = 4;
    CHECK_THROWS_WITH(baseline_from_json(doc, "b.json"),
                      Catch::Contains("9 repetitions, the baseline 10"));
  }
  SECTION("no sittings") {
    doc["sittings"] = json::array();
    CHECK_THROWS_AS(baseline_from_json(doc, "b.json"), InputError);
  }
  SECTION("a file without sittings (an older memgate) is one sitting") {
    doc.erase("sittings");
    doc["metrics"]["cpu_us_per_op"]["values"] = kRuns;
    doc["metrics"]["cpu_us_per_op"]["median"] = 2243;
    doc["metrics"]["cpu_us_per_op"]["mad"] = 17;
    doc["metrics"]["cpu_us_per_op"]["min"] = 2200;
    doc["metrics"]["cpu_us_per_op"]["max"] = 2290;
    doc["metrics"]["peak_bytes"]["values"] = std::vector<double>(5, 100 << 20);
    doc["repetitions"] = 5;
    const Baseline b = baseline_from_json(doc, "b.json");
    REQUIRE(b.sittings.size() == 1);
    CHECK(b.sittings[0].values.at("cpu_us_per_op") == kRuns);
  }
}

TEST_CASE("single sitting: a timing regression short of the hard factor is inconclusive") {
  const Baseline base = make_baseline(report_with_cpu(kRuns), "");
  const GateSpec spec = cpu_rule();

  const Verdict plus30 = check(spec, base, times(kRuns, 1.3));
  CHECK(only_check(plus30).status == CheckStatus::inconclusive);
  CHECK(only_check(plus30).provisional);
  CHECK_THAT(only_check(plus30).reason, Catch::Contains("single sitting"));
  CHECK(plus30.status == VerdictStatus::inconclusive);
  CHECK(exit_code_for(plus30) == ExitCode::no_verdict);
  CHECK_FALSE(needs_rerun(plus30));  // more runs now cannot settle it
  CHECK(std::any_of(plus30.notes.begin(), plus30.notes.end(),
                    [](const std::string& n) { return n.find("--append") != std::string::npos; }));

  const Verdict plus150 = check(spec, base, times(kRuns, 2.5));
  CHECK(only_check(plus150).status == CheckStatus::regressed);
  CHECK_FALSE(only_check(plus150).provisional);
  CHECK(exit_code_for(plus150) == ExitCode::regressed);

  // A faster sitting is not claimed as an improvement either.
  CHECK(only_check(check(spec, base, times(kRuns, 0.7))).status == CheckStatus::pass);

  // Memory rules are unchanged: a single sitting judges them fully.
  GateSpec memory;
  memory.rules.push_back({"peak_bytes", 10, std::nullopt, std::nullopt});
  Report bigger = report_with_cpu(kRuns);
  for (RunRecord& run : bigger.runs) run.metrics.peak_bytes = 130 << 20;
  CHECK(gate_report(bigger, memory, &base).status == VerdictStatus::regressed);

  // The factor is the scenario's: 1 switches the provisional verdict off.
  GateSpec strict = cpu_rule();
  strict.single_sitting_hard_factor = 1;
  CHECK(only_check(check(strict, base, times(kRuns, 1.3))).status == CheckStatus::regressed);
}

TEST_CASE("several sittings: the band spans the drift between them") {
  // Sitting medians 2243 and 2692 (+20%): a check at +30% of the first is within the drift seen.
  const Baseline base = append_sitting(make_baseline(report_with_cpu(kRuns), ""),
                                       make_baseline(report_with_cpu(times(kRuns, 1.2)), ""));
  const GateSpec spec = cpu_rule();
  const Check drift = only_check(check(spec, base, times(kRuns, 1.3)));
  CHECK(drift.status == CheckStatus::pass);
  CHECK_FALSE(drift.provisional);
  CHECK_THAT(drift.threshold, Catch::Contains("2 sittings"));
  // Far beyond the drift: a regression, not provisional.
  const Check slower = only_check(check(spec, base, times(kRuns, 1.8)));
  CHECK(slower.status == CheckStatus::regressed);
  // Never narrower than within one sitting: two equal sittings keep the runs' band.
  const Baseline same = append_sitting(make_baseline(report_with_cpu(kRuns), ""),
                                       make_baseline(report_with_cpu(kRuns), ""));
  CHECK(only_check(check(spec, same, times(kRuns, 1.01))).status == CheckStatus::pass);
  CHECK(only_check(check(spec, same, times(kRuns, 1.3))).status == CheckStatus::regressed);
}

TEST_CASE("several sittings: compared with those of a speed like this host's") {
  // A fast sitting (speed 40 ms, 2243 µs) and a slow one (speed 52 ms, +30%).
  const Baseline base = append_sitting(make_baseline(report_with_cpu(kRuns, 40), ""),
                                       make_baseline(report_with_cpu(times(kRuns, 1.3), 52), ""));
  const GateSpec spec = cpu_rule();
  const Verdict fast = check(spec, base, kRuns, 41);
  CHECK(only_check(fast).status == CheckStatus::pass);
  CHECK(std::any_of(fast.notes.begin(), fast.notes.end(), [](const std::string& n) {
    return n.find("1 of the baseline's 2 sittings") != std::string::npos;
  }));
  CHECK(*only_check(fast).baseline == Approx(2243));
  // No sitting of a similar speed: not judged, and the closest sitting is named.
  const Verdict far = check(spec, base, kRuns, 70);
  CHECK(only_check(far).status == CheckStatus::unjudged);
  CHECK_THAT(only_check(far).reason, Catch::Contains("closest of its 2 sittings"));
}

TEST_CASE("from_history: the last N passing checks of this scenario on this machine class") {
  const Baseline base = make_baseline(report_with_cpu(kRuns), "");
  const std::string fingerprint = machine_fingerprint(kHost);
  std::vector<HistoryEntry> history;
  const auto add = [&](double cpu, const std::string& hash, const std::string& machine,
                       const std::string& verdict) {
    HistoryEntry e;
    e.scenario = "worker";
    e.scenario_hash = hash;
    e.fingerprint = machine;
    e.verdict = verdict;
    e.metrics["cpu_us_per_op"] = cpu;
    history.push_back(e);
  };
  // Old entries that the window of 5 must not reach, then entries to ignore, then the last 5.
  for (int i = 0; i < 10; ++i) add(1000, "hash-1", fingerprint, "pass");
  add(9000, "hash-0", fingerprint, "pass");       // another scenario hash
  add(9000, "hash-1", "other-host", "pass");      // another machine class
  add(9000, "hash-1", fingerprint, "regressed");  // not a passing check
  add(9000, "hash-1", fingerprint, "invalid");
  for (const double cpu : {2900.0, 2950.0, 3000.0, 3050.0, 3100.0})
    add(cpu, "hash-1", fingerprint, "pass");

  const GateSpec spec = cpu_rule(HistoryWindow{5, 5});
  // +35% on the baseline's single sitting, but the history's median: compared with 3000 µs.
  const Check now = only_check(check(spec, base, times(kRuns, 1.35), 40, history));
  CHECK(*now.baseline == Approx(3000));
  CHECK(now.status == CheckStatus::pass);
  CHECK_FALSE(now.provisional);
  CHECK_THAT(now.threshold, Catch::Contains("last 5 passing checks"));
  // Beyond the history's band and the tolerance: a regression (no single-sitting hold).
  CHECK(only_check(check(spec, base, times(kRuns, 2.0), 40, history)).status ==
        CheckStatus::regressed);
  // Fewer matching entries than min_entries: the baseline is the reference.
  const GateSpec wide = cpu_rule(HistoryWindow{20, 16});
  const Check fallback = only_check(check(wide, base, times(kRuns, 1.35), 40, history));
  CHECK(*fallback.baseline == Approx(2243));
  CHECK(fallback.provisional);
}

TEST_CASE("history lines carry the scenario hash and the machine class") {
  Report r = report_with_cpu(kRuns);
  r.summary.cpu_us_per_op = 2243;
  std::vector<std::string> skipped;
  const auto entries = parse_history(history_line(r, "pass", "", false), "h.jsonl", skipped);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].scenario_hash == "hash-1");
  CHECK(entries[0].fingerprint == machine_fingerprint(kHost));
  CHECK(passing_history(entries, "hash-1", machine_fingerprint(kHost)).size() == 1);
  CHECK(passing_history(entries, "hash-2", machine_fingerprint(kHost)).empty());
}

TEST_CASE("history bands: each check's band from the passing checks before it (memgate trend)") {
  std::vector<HistoryEntry> entries;
  for (const double cpu : {1000.0, 1010.0, 990.0, 1600.0, 1005.0, 995.0}) {
    HistoryEntry e;
    e.scenario_hash = "hash-1";
    e.fingerprint = "machine-a";
    e.verdict = cpu > 1500 ? "regressed" : "pass";
    e.metrics["cpu_us_per_op"] = cpu;
    entries.push_back(e);
  }
  entries[4].fingerprint = "machine-b";  // another machine class: its band has no entries yet
  const auto bands = history_bands(entries, "cpu_us_per_op", 3, 3, 3);
  REQUIRE(bands.size() == 6);
  for (const std::size_t i : {0, 1, 2, 4}) CHECK_FALSE(bands[i]);
  // Before entries 3 and 5: 1000, 1010, 990 pass on machine-a (1600 regressed, 1005 is another
  // machine's): range 990..1010, MAD 10, k 3.
  for (const std::size_t i : {3, 5}) {
    REQUIRE(bands[i]);
    CHECK(bands[i]->first == Approx(960));
    CHECK(bands[i]->second == Approx(1040));
  }
}
