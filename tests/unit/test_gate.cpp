// The gate, table-driven: each rule, the noise band, budgets, directions, degenerate inputs,
// stale and missing baselines.

#include <catch2/catch.hpp>

#include <algorithm>

#include "core/gate/gate.hpp"

using namespace memgate;

namespace {

constexpr double MiB = 1024 * 1024;

std::vector<double> mib(std::initializer_list<double> values) {
  std::vector<double> out;
  for (double v : values) out.push_back(v * MiB);
  return out;
}

Baseline baseline_of(std::map<std::string, std::vector<double>> metrics,
                     const std::string& fingerprint = "machine-a") {
  Baseline b;
  b.scenario = "s";
  b.scenario_hash = "hash-1";
  b.fingerprint = fingerprint;
  for (auto& [name, values] : metrics) {
    b.repetitions = static_cast<int>(values.size());
    b.metrics[name] = make_series(values);
  }
  return b;
}

GateSpec spec_of(std::vector<GateRule> rules, std::vector<GateBudget> budgets = {}) {
  GateSpec s;
  // Judged in full against a single sitting: the provisional hold is test_gate_sittings.cpp's.
  s.single_sitting_hard_factor = 1;
  s.rules = std::move(rules);
  s.budgets = std::move(budgets);
  return s;
}

Verdict gate(const GateSpec& spec, const Baseline* base,
             std::map<std::string, std::vector<double>> current,
             const std::string& hash = "hash-1", const std::string& fingerprint = "machine-a") {
  GateInputs in;
  in.spec = &spec;
  in.baseline = base;
  in.scenario_hash = hash;
  in.fingerprint = fingerprint;
  in.current = std::move(current);
  return evaluate_gate(in);
}

const GateRule kPeak{"peak_bytes", 10, 4 * MiB};
const GateRule kThroughput{"throughput_per_s", 15, std::nullopt};
const GateRule kGrowth{"growth_bytes_per_min", std::nullopt, 1 * MiB};

struct Case {
  const char* name;
  std::vector<double> baseline;
  std::vector<double> current;
  GateRule rule;
  CheckStatus expected;
};

}  // namespace

TEST_CASE("gate: one metric against its baseline") {
  const std::vector<Case> cases = {
      {"unchanged", mib({100, 101, 99, 100, 102}), mib({100, 101, 100, 99, 102}), kPeak,
       CheckStatus::pass},
      {"20% more memory", mib({100, 101, 99, 100, 102}), mib({120, 121, 119, 120, 122}), kPeak,
       CheckStatus::regressed},
      {"5% more: within the 10% tolerance", mib({100, 100, 100, 100, 100}),
       mib({105, 105, 105, 105, 105}), kPeak, CheckStatus::pass},
      {"20% more but under the 4 MiB floor", mib({10, 10, 10, 10, 10}), mib({12, 12, 12, 12, 12}),
       kPeak, CheckStatus::pass},
      {"15% more but inside the baseline's noise", mib({80, 100, 120, 90, 110}),
       mib({115, 115, 115, 115, 115}), kPeak, CheckStatus::inconclusive},
      {"30% less memory", mib({100, 101, 99, 100, 102}), mib({70, 70, 71, 69, 70}), kPeak,
       CheckStatus::improved},
      {"throughput 20% lower", {1000, 1010, 990, 1000, 1005}, {800, 805, 795, 800, 810},
       kThroughput, CheckStatus::regressed},
      {"throughput 20% higher", {1000, 1010, 990, 1000, 1005}, {1200, 1205, 1195, 1200, 1210},
       kThroughput, CheckStatus::improved},
      {"throughput 10% lower: within 15%", {1000, 1000, 1000}, {900, 900, 900}, kThroughput,
       CheckStatus::pass},
      {"growth from zero: relative change undefined, the floor decides", {0, 0, 0, 0, 0},
       mib({5, 5, 5, 5, 5}), kGrowth, CheckStatus::regressed},
      {"growth from zero under the floor", {0, 0, 0, 0, 0}, mib({0.5, 0.5, 0.5, 0.5, 0.5}),
       kGrowth, CheckStatus::pass},
      {"zero spread, equal values", mib({50, 50, 50}), mib({50, 50, 50}), kPeak,
       CheckStatus::pass},
      {"one repetition each: +20%", mib({100}), mib({120}), kPeak, CheckStatus::regressed},
      {"median beyond the band, but the rank test finds the samples alike",
       mib({100, 100, 100, 100, 130}), mib({131, 99, 99, 140, 150}), GateRule{"peak_bytes", 10, 0},
       CheckStatus::inconclusive},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Baseline base = baseline_of({{c.rule.metric, c.baseline}});
    const Verdict v = gate(spec_of({c.rule}), &base, {{c.rule.metric, c.current}});
    REQUIRE(v.checks.size() == 1);
    CHECK(v.checks[0].status == c.expected);
    CHECK(v.checks[0].metric == c.rule.metric);
    CHECK(v.checks[0].baseline.has_value());
    CHECK(v.checks[0].current.has_value());
    CHECK_FALSE(v.checks[0].threshold.empty());
  }
}

TEST_CASE("gate: the numbers of a check") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100, 100, 100})}});
  const Verdict v = gate(spec_of({kPeak}), &base, {{"peak_bytes", mib({120, 120, 120, 120, 120})}});
  const Check& c = v.checks[0];
  CHECK(*c.baseline == 100 * MiB);
  CHECK(*c.current == 120 * MiB);
  CHECK(*c.change == 20 * MiB);
  CHECK(*c.change_pct == Approx(20));
  CHECK(*c.p_value == Approx(1.0 / 252));
  CHECK_THAT(c.threshold, Catch::Contains("+10%") && Catch::Contains("+4.00 MiB") &&
                              Catch::Contains("max + 3 MAD"));
  CHECK(v.status == VerdictStatus::regressed);
  CHECK(exit_code_for(v) == ExitCode::regressed);
}

TEST_CASE("gate: overall status and exit codes") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100})},
                                     {"throughput_per_s", {1000, 1000, 1000}}});
  const auto spec = spec_of({kPeak, kThroughput});
  Verdict v = gate(spec, &base, {{"peak_bytes", mib({100, 100, 100})},
                                 {"throughput_per_s", {1000, 1000, 1000}}});
  CHECK(v.status == VerdictStatus::pass);
  CHECK(exit_code_for(v) == ExitCode::ok);

  v = gate(spec, &base, {{"peak_bytes", mib({60, 60, 60})}, {"throughput_per_s", {1000, 1000, 1000}}});
  CHECK(v.status == VerdictStatus::improved);
  CHECK(exit_code_for(v) == ExitCode::ok);

  // Regressions come first in the checks.
  v = gate(spec, &base, {{"peak_bytes", mib({100, 100, 100})}, {"throughput_per_s", {500, 500, 500}}});
  CHECK(v.status == VerdictStatus::regressed);
  CHECK(v.checks[0].metric == "throughput_per_s");
}

TEST_CASE("gate: throughput on another machine class only warns, memory still gates") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100})},
                                     {"throughput_per_s", {1000, 1000, 1000}}},
                                    "machine-a");
  const auto spec = spec_of({kPeak, kThroughput});
  Verdict v = gate(spec, &base, {{"peak_bytes", mib({100, 100, 100})},
                                 {"throughput_per_s", {500, 500, 500}}},
                   "hash-1", "machine-b");
  CHECK_FALSE(v.same_machine);
  CHECK(v.status == VerdictStatus::pass);
  CHECK(v.checks[0].status == CheckStatus::warning);
  CHECK_FALSE(v.notes.empty());
  v = gate(spec, &base, {{"peak_bytes", mib({150, 150, 150})}, {"throughput_per_s", {1000, 1000, 1000}}},
           "hash-1", "machine-b");
  CHECK(v.status == VerdictStatus::regressed);
}

TEST_CASE("gate: throughput inside the noise on another machine class warns, never exit 4") {
  const Baseline base = baseline_of({{"throughput_per_s", {800, 1000, 1200, 900, 1100}}},
                                    "machine-a");
  const Verdict v = gate(spec_of({kThroughput}), &base,
                         {{"throughput_per_s", {820, 830, 840, 810, 825}}}, "hash-1", "machine-b");
  CHECK(v.checks[0].status == CheckStatus::warning);
  CHECK(v.status == VerdictStatus::pass);
  CHECK(exit_code_for(v) == ExitCode::ok);
}

TEST_CASE("gate: budgets alone, without a baseline, give a verdict") {
  const auto spec = spec_of({}, {{"peak_bytes", 256 * MiB}});
  Verdict v = gate(spec, nullptr, {{"peak_bytes", mib({100, 120, 110})}});
  CHECK(v.status == VerdictStatus::pass);
  // A limit holds for every run: one run of five over it fails, whatever the median.
  v = gate(spec, nullptr, {{"peak_bytes", mib({100, 300, 110, 100, 300})}});
  CHECK(v.status == VerdictStatus::regressed);
  CHECK(*v.checks[0].current == 300 * MiB);
}

TEST_CASE("gate: budgets need no baseline") {
  const auto spec = spec_of({kPeak}, {{"peak_bytes", 256 * MiB}, {"throughput_per_s", 900}});
  Verdict v = gate(spec, nullptr, {{"peak_bytes", mib({100})}, {"throughput_per_s", {1000}}});
  CHECK(v.status == VerdictStatus::no_baseline);  // within budget, nothing to compare with
  CHECK(exit_code_for(v) == ExitCode::no_verdict);
  REQUIRE(v.checks.size() == 2);
  CHECK(v.checks[0].budget);
  CHECK(v.checks[0].status == CheckStatus::pass);

  v = gate(spec, nullptr, {{"peak_bytes", mib({300})}, {"throughput_per_s", {1000}}});
  CHECK(v.status == VerdictStatus::regressed);  // over a budget: a failure even without baseline
  CHECK(v.checks[0].metric == "peak_bytes");
  CHECK_THAT(v.checks[0].threshold, Catch::Contains("at most 256 MiB"));

  v = gate(spec, nullptr, {{"peak_bytes", mib({100})}, {"throughput_per_s", {800, 950}}});
  CHECK(v.status == VerdictStatus::regressed);  // throughput budgets are minimums, for every run
  CHECK(v.checks[0].metric == "throughput_per_s");
  CHECK(*v.checks[0].current == 800);
}

TEST_CASE("gate: a stale baseline is no verdict, budgets still apply") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100})}});
  const auto spec = spec_of({kPeak}, {{"peak_bytes", 200 * MiB}});
  Verdict v = gate(spec, &base, {{"peak_bytes", mib({150, 150, 150})}}, "hash-2");
  CHECK(v.status == VerdictStatus::stale_baseline);
  CHECK(exit_code_for(v) == ExitCode::no_verdict);
  CHECK(v.checks.size() == 1);  // only the budget
  v = gate(spec, &base, {{"peak_bytes", mib({250, 250, 250})}}, "hash-2");
  CHECK(v.status == VerdictStatus::regressed);
}

TEST_CASE("gate: missing metrics and rerun decisions") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100})}});
  const auto spec = spec_of({kPeak, GateRule{"plateau_bytes", 10, 0}});
  Verdict v = gate(spec, &base, {{"peak_bytes", mib({100, 100, 100})},
                                 {"plateau_bytes", mib({90, 90, 90})}});
  CHECK(v.status == VerdictStatus::no_baseline);  // plateau has no baseline value
  CHECK(v.checks[0].status == CheckStatus::no_baseline);
  CHECK_FALSE(needs_rerun(v));

  v = gate(spec_of({kPeak}), &base, {});
  CHECK(v.checks[0].status == CheckStatus::no_data);
  CHECK(v.status == VerdictStatus::inconclusive);
  CHECK_FALSE(needs_rerun(v));  // no run measured it: more runs would not either

  const Baseline noisy = baseline_of({{"peak_bytes", mib({80, 100, 120, 90, 110})}});
  v = gate(spec_of({kPeak}), &noisy, {{"peak_bytes", mib({115, 115, 115, 115, 115})}});
  CHECK(v.status == VerdictStatus::inconclusive);
  CHECK(needs_rerun(v));
}

TEST_CASE("gate: a single-repetition baseline is noted") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100})}});
  const Verdict v = gate(spec_of({kPeak}), &base, {{"peak_bytes", mib({100})}});
  CHECK(v.status == VerdictStatus::pass);
  REQUIRE_FALSE(v.notes.empty());
  CHECK_THAT(v.notes[0], Catch::Contains("single repetition"));
}

TEST_CASE("gate: verdict JSON shape") {
  const Baseline base = baseline_of({{"peak_bytes", mib({100, 100, 100})}});
  const Verdict v = gate(spec_of({kPeak}), &base, {{"peak_bytes", mib({130, 130, 130})}});
  const auto j = verdict_to_json(v);
  CHECK(j["status"] == "regressed");
  REQUIRE(j["checks"].size() == 1);
  const auto& c = j["checks"][0];
  for (const char* key : {"metric", "status", "baseline", "current", "change", "change_pct",
                          "threshold"}) {
    CHECK(c.contains(key));
  }
  CHECK(c["change_pct"] == 30);
}

TEST_CASE("gate rules survive a round trip through report JSON") {
  GateSpec spec = spec_of({kPeak, kThroughput, kGrowth}, {{"peak_bytes", 1e9}});
  spec.noise_mad_k = 4;
  const GateSpec back = gate_from_json(gate_to_json(spec), "r.json", "/gate");
  REQUIRE(back.rules.size() == 3);
  CHECK(back.noise_mad_k == 4);
  REQUIRE(back.budgets.size() == 1);
  CHECK(back.budgets[0].limit == 1e9);
  const auto rule_of = [&](const std::string& metric) {
    const auto it = std::find_if(back.rules.begin(), back.rules.end(),
                                 [&](const auto& rule) { return rule.metric == metric; });
    REQUIRE(it != back.rules.end());
    return *it;
  };
  CHECK(rule_of("growth_bytes_per_min").min_change == 1 * MiB);
  CHECK(rule_of("throughput_per_s").max_change_pct == 15);
}
