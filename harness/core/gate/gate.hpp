#pragma once

// The gate: baseline + current runs -> a verdict per gated metric and overall. Pure.
//
// A metric regresses only when all three hold:
//   1. the relative tolerance is exceeded (e.g. +10%; skipped when the rule has none),
//   2. the absolute floor is exceeded (e.g. +4 MiB: 1 MB on 10 MB must not fail a gate),
//   3. the change is outside the noise the baseline measured: the current median lies beyond
//      the baseline's max + k*MAD (min - k*MAD for throughput), and, when both sides have at
//      least 5 runs, a one-sided Mann-Whitney test agrees (p <= 0.05).
// 1 and 2 without 3 is "inconclusive": the change would matter but the noise hides it; the
// caller reruns and pools the runs, and reports "inconclusive" (exit 4) if it stays so.
// The band of 3 is the reference's (reference.hpp): for timing, it spans the baseline's sittings;
// against a single sitting a timing regression short of gate.single_sitting_hard_factor is
// "inconclusive" (provisional) and an improvement short of it passes.
// "improved" is the same test in the better direction. Budgets are absolute limits that need no
// baseline and hold for every run (the worst run is compared). Throughput, latency and CPU per
// operation measured on another machine class than the baseline's only warn.
// A check is "unjudged" (it neither passes nor fails; the exit code follows the others) when the
// measurement cannot answer it: wall-clock metrics while other processes took more of the CPU
// than gate.max_contention_pct, and speed-dependent metrics (wall clock, CPU per operation) when
// this host's speed index differs from the baseline's by more than gate.max_speed_diff_pct.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/baseline/baseline.hpp"
#include "core/metrics/per_unit.hpp"
#include "core/model/exit_code.hpp"
#include "core/report/history.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

// Below this p-value the rank test says the two samples differ.
constexpr double kRankTestAlpha = 0.05;
// Both samples need this many values before the rank test is consulted.
constexpr std::size_t kRankTestMinRuns = 5;
// The fewest pairs whose signed-rank test can reach kRankTestAlpha: with n pairs all on one side
// its one-sided p is 2^-n (4 pairs: 0.0625 > 0.05, never a verdict).
constexpr int kMinAbPairs = 5;
static_assert(1.0 / (1 << kMinAbPairs) <= kRankTestAlpha &&
              1.0 / (1 << (kMinAbPairs - 1)) > kRankTestAlpha);

enum class CheckStatus {
  pass, regressed, improved, inconclusive, warning, unjudged, no_baseline, no_data
};
enum class VerdictStatus { pass, regressed, improved, no_baseline, stale_baseline, inconclusive };

const char* to_string(CheckStatus status);
const char* to_string(VerdictStatus status);

struct Check {
  std::string metric;
  CheckStatus status = CheckStatus::pass;
  bool budget = false;                // an absolute budget, not a comparison with the baseline
  std::optional<double> baseline;     // the baseline's median (a budget: its limit)
  std::optional<double> current;      // the median of the current runs
  std::optional<double> change;       // current - baseline, in the metric's unit
  std::optional<double> change_pct;   // change / |baseline| * 100
  std::optional<double> p_value;      // the rank test, when both sides had enough runs
  std::string threshold;              // the rule that applied, for people
  std::string reason;                 // why this status, one line
  // A timing check against a single sitting (gate.single_sitting_hard_factor): more runs now
  // cannot settle it, more sittings of the baseline can.
  bool provisional = false;
};

struct Verdict {
  VerdictStatus status = VerdictStatus::pass;
  std::vector<Check> checks;  // regressions first, then inconclusive, warnings, improvements
  std::vector<std::string> notes;
  bool same_machine = true;
  int current_runs = 0;
};

using GateHistory = std::vector<std::map<std::string, double>>;

struct GateInputs {
  const GateSpec* spec = nullptr;
  const Baseline* baseline = nullptr;  // null: there is no baseline
  std::string scenario_hash;           // of the scenario as run now
  std::string fingerprint;             // of the machine it ran on now
  std::map<std::string, std::vector<double>> current;  // metric -> values of the valid runs
  std::vector<PerUnit> per_unit;  // a sweep's figures per unit of work (none without a sweep)
  std::optional<double> contention_pct;  // the worst valid run's, in the load phase
  std::optional<double> speed_ms;        // this host's reference workload time (speed_index)
  // The summary figures of earlier passing checks of this scenario hash on this machine class,
  // oldest first (history.hpp, passing_history): the reference of rules with from_history.
  GateHistory history;
};

// The key of the speed index in a report's and a baseline's environment: the reference
// workload's CPU time in ms (runtime/env/speed_index.hpp), the faster of the measurements before
// and after the runs (those two are under kSpeedRangeKey).
inline constexpr const char* kSpeedKey = "speed_reference_ms";
inline constexpr const char* kSpeedRangeKey = "speed_reference_ms_before_after";

Verdict evaluate_gate(const GateInputs& inputs);

// The gate has a rule or budget on a timing metric (throughput, latency, CPU per operation).
bool gates_timing(const GateSpec& spec);
// A rule takes its reference from the history (from_history): check must read the history.
bool reads_history(const GateSpec& spec);

// The speed index in an environment (kSpeedKey), when there is a valid one.
std::optional<double> environment_speed(const nlohmann::json& environment);

// Gates the valid runs of a report: the inputs taken from it (its hash, machine, metrics, worst
// contention, speed index). `memgate check`, `compare` and each step of a rerun use it.
// history: the history's entries (any scenario, host and verdict: passing_history picks).
GateInputs gate_inputs(const Report& report, const GateSpec& gate, const Baseline* baseline,
                       const std::vector<HistoryEntry>& history = {});
Verdict gate_report(const Report& report, const GateSpec& gate, const Baseline* baseline,
                    const std::vector<HistoryEntry>& history = {});

// Fewer runs when the answer is clear: `check` runs kEarlyRuns repetitions first and goes on to
// the scenario's `repeat` only when some check is close to its rule. The answer is clear when
// every judged check is far from the edge in every run: worse by at most half the rule's
// allowance (max of tolerance x baseline and floor), or a regression beyond twice the allowance
// and beyond the baseline's noise; budgets: every run within 90% of the limit, or every run past
// it; a sweep's per-unit checks: regressed or improved, or passing with the whole interval
// within the rule. No baseline or a stale one is clear too (more runs cannot change "no
// verdict"). In a sweep, kEarlyRuns rounds of its values.
constexpr int kEarlyRuns = 3;
bool answer_is_clear(const GateInputs& inputs, const Verdict& verdict);

// True when a rerun could settle it: some check is inconclusive.
bool needs_rerun(const Verdict& verdict);

// pass, improved -> 0; regressed -> 1; no baseline, stale, inconclusive -> 4.
ExitCode exit_code_for(const Verdict& verdict);

nlohmann::json verdict_to_json(const Verdict& verdict);

// A verdict as verdict_to_json wrote it, back (for `memgate merge`); keys it does not know (the
// reruns, the baseline's context) are left alone. Throws InputError naming file and path.
Verdict verdict_from_json(const nlohmann::json& document, const std::string& file,
                          const std::string& path);

// The gate rules as JSON, in the scenario's own format (carried in report.json, so that
// `memgate compare` can gate a report without the scenario file), and back: gate_from_json
// checks the rules' form like the scenario loader (InputError naming file and path); whether the
// scenario could measure them was checked when it loaded.
nlohmann::json gate_to_json(const GateSpec& gate);
GateSpec gate_from_json(const nlohmann::json& document, const std::string& file,
                        const std::string& path);

}  // namespace memgate
