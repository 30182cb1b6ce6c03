// The per-unit gate (gate.per_unit): a sweep's figure per unit, a slope with its 95% interval,
// against an absolute maximum and against the baseline's figure; stopping early; the figures in
// a baseline file.

#include <catch2/catch.hpp>

#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"

using namespace memgate;

namespace {

PerUnit figure(double slope, std::optional<std::pair<double, double>> ci) {
  PerUnit f;
  f.metric = "retained_bytes";
  f.fit.slope = slope;
  f.fit.ci = ci;
  f.fit.points = 9;
  f.confirmed = ci && ci->first > 0;
  return f;
}

Baseline baseline_with(double slope, std::pair<double, double> ci) {
  Baseline b;
  b.scenario = "s";
  b.scenario_hash = "hash-1";
  b.fingerprint = "machine-a";
  b.repetitions = 3;
  b.per_unit["retained_bytes"].slope = slope;
  b.per_unit["retained_bytes"].ci = ci;
  b.per_unit["retained_bytes"].points = 9;
  return b;
}

GateSpec spec_of(PerUnitRule rule) {
  GateSpec s;
  s.per_unit = {std::move(rule)};
  return s;
}

GateInputs inputs(const GateSpec& spec, const Baseline* base, std::vector<PerUnit> now) {
  GateInputs in;
  in.spec = &spec;
  in.baseline = base;
  in.scenario_hash = "hash-1";
  in.fingerprint = "machine-a";
  in.per_unit = std::move(now);
  return in;
}

const Check& only(const Verdict& v) {
  REQUIRE(v.checks.size() == 1);
  return v.checks.front();
}

}  // namespace

TEST_CASE("per-unit gate: a maximum regresses only when the whole interval is over it") {
  const GateSpec spec = spec_of({"retained_bytes", 1024, std::nullopt, std::nullopt});
  struct Case {
    double slope;
    std::optional<std::pair<double, double>> ci;
    CheckStatus expected;
  };
  for (const Case& c : {Case{500, std::pair{300.0, 700.0}, CheckStatus::pass},
                        Case{500, std::pair{300.0, 1500.0}, CheckStatus::pass},
                        Case{2048, std::pair{2000.0, 2100.0}, CheckStatus::regressed},
                        Case{1500, std::pair{900.0, 2100.0}, CheckStatus::inconclusive},
                        Case{1500, std::nullopt, CheckStatus::inconclusive}}) {
    INFO(c.slope);
    const Verdict v = evaluate_gate(inputs(spec, nullptr, {figure(c.slope, c.ci)}));
    const Check& check = only(v);
    CHECK(check.metric == "per_unit.retained_bytes");
    CHECK(check.budget);
    CHECK(check.status == c.expected);
    CHECK(check.current == c.slope);
    CHECK(check.threshold == "at most 1.00 KiB per unit");
  }
  // Without a figure (the sweep measured fewer than two values): no data, no pass.
  const Verdict none = evaluate_gate(inputs(spec, nullptr, {}));
  CHECK(only(none).status == CheckStatus::no_data);
  CHECK(none.status == VerdictStatus::inconclusive);
}

TEST_CASE("per-unit gate: an increase against the baseline needs the intervals apart") {
  const GateSpec spec = spec_of({"retained_bytes", std::nullopt, 50, 256});
  const Baseline base = baseline_with(1000, {950, 1050});
  struct Case {
    double slope;
    std::pair<double, double> ci;
    CheckStatus expected;
  };
  for (const Case& c : {Case{1100, {1050, 1150}, CheckStatus::pass},          // within +50%
                        Case{2000, {1900, 2100}, CheckStatus::regressed},     // apart
                        Case{2000, {1000, 3000}, CheckStatus::inconclusive},  // overlapping
                        Case{100, {50, 150}, CheckStatus::improved}}) {
    INFO(c.slope);
    const Verdict v = evaluate_gate(inputs(spec, &base, {figure(c.slope, c.ci)}));
    const Check& check = only(v);
    CHECK(check.status == c.expected);
    CHECK_FALSE(check.budget);
    CHECK(check.baseline == 1000);
    CHECK(*check.change == Approx(c.slope - 1000));
  }
  // The floor: +50% of 100 B is too little to matter below +256 B per unit.
  const Baseline small = baseline_with(100, {90, 110});
  CHECK(only(evaluate_gate(inputs(spec, &small, {figure(300, std::pair{290.0, 310.0})}))).status ==
        CheckStatus::pass);
  // A baseline without the figure asks for a refresh; no baseline at all is no verdict.
  Baseline older = base;
  older.per_unit.clear();
  CHECK(
      only(evaluate_gate(inputs(spec, &older, {figure(1000, std::pair{950.0, 1050.0})}))).status ==
      CheckStatus::no_baseline);
  const Verdict no_base =
      evaluate_gate(inputs(spec, nullptr, {figure(1000, std::pair{950.0, 1050.0})}));
  CHECK(no_base.status == VerdictStatus::no_baseline);
}

TEST_CASE("per-unit gate: stopping early needs the whole interval on one side of the rule") {
  const GateSpec spec = spec_of({"retained_bytes", 1024, 50, 256});
  const Baseline base = baseline_with(1000, {950, 1050});
  const auto clear = [&](PerUnit now) {
    const GateInputs in = inputs(spec, &base, {now});
    return answer_is_clear(in, evaluate_gate(in));
  };
  CHECK(clear(figure(1000, std::pair{990.0, 1010.0})));
  CHECK_FALSE(clear(figure(1000, std::pair{900.0, 1100.0})));  // could be over the maximum
  CHECK(clear(figure(4096, std::pair{4000.0, 4200.0})));       // regressed beyond doubt
  CHECK_FALSE(clear(figure(1000, std::nullopt)));
}

TEST_CASE("per-unit gate: the baseline file keeps the figures and refuses damaged ones") {
  Baseline b = baseline_with(4096.5, {4000, 4200});
  b.metrics["peak_bytes"] = make_series({1e6, 1.1e6, 1.2e6});
  b.per_unit["peak_bytes"].slope = 12;  // too few runs for an interval
  b.per_unit["peak_bytes"].points = 3;
  const nlohmann::json j = baseline_to_json(b);
  const Baseline back = baseline_from_json(j, "b.json");
  REQUIRE(back.per_unit.size() == 2);
  CHECK(back.per_unit.at("retained_bytes").slope == 4096.5);
  CHECK(back.per_unit.at("retained_bytes").ci == std::pair{4000.0, 4200.0});
  CHECK_FALSE(back.per_unit.at("peak_bytes").ci);
  const auto bad = [&](const char* pointer, nlohmann::json value, const std::string& path) {
    nlohmann::json damaged = j;
    damaged[nlohmann::json::json_pointer(pointer)] = value;
    try {
      baseline_from_json(damaged, "b.json");
      FAIL("accepted " << damaged.dump());
    } catch (const InputError& e) {
      CHECK(e.json_path() == path);
    }
  };
  bad("/per_unit/retained_bytes/ci95", {4100, 4200}, "/per_unit/retained_bytes/ci95");
  bad("/per_unit/retained_bytes/slope", "x", "/per_unit/retained_bytes/slope");
  bad("/per_unit/growth_bytes_per_min", {{"slope", 1}}, "/per_unit/growth_bytes_per_min");
  // A baseline of an older memgate has no figures: read as none.
  nlohmann::json older = j;
  older.erase("per_unit");
  CHECK(baseline_from_json(older, "b.json").per_unit.empty());
}
