#pragma once

// `memgate check` for one scenario: run it, gate it against its baseline, and while the verdict
// is too close to call rerun it (gate.max_reruns times at most, `repeat` more runs each time,
// pooled with the earlier ones) before settling for "inconclusive". It starts with kEarlyRuns
// runs and stops there when the answer is clear (answer_is_clear), else runs all of `repeat`.
// For a sweep, runs are rounds of its values.

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/report/report.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate {

struct GatedRun {
  Report report;           // every run, verdict included (report.verdict)
  std::optional<Verdict> verdict;  // empty when a run was not valid: no verdict on a bad run
  int reruns = 0;
  bool stopped_early = false;  // the answer was clear before `repeat` runs
};

// history: the history's entries, for rules with from_history (gate_inputs).
GatedRun run_and_gate(const Scenario& scenario, const Baseline* baseline,
                      const RunSettings& settings, const std::vector<HistoryEntry>& history = {});

}  // namespace memgate
