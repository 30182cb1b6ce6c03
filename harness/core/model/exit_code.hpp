#pragma once

namespace memgate {

// Process exit codes: the contract of DESIGN.md, the same for every subcommand.
enum class ExitCode : int {
  ok = 0,          // success; for check/compare: every gated metric passed
  regressed = 1,   // the gate found at least one regression
  bad_input = 2,   // bad usage or bad input (scenario, baseline, report)
  run_failed = 3,  // the run could not be carried out or is not valid
  no_verdict = 4,  // no baseline, stale baseline, or too noisy to decide
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace memgate
