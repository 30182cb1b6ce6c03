#pragma once

namespace memgate {

// Process exit codes: the contract of docs/cli.md ("Exit codes"), the same for every subcommand.
enum class ExitCode : int {
  ok = 0,          // success; for check/compare: every gated metric passed
  regressed = 1,   // the gate found at least one regression
  bad_input = 2,   // bad usage or bad input (scenario, baseline, report)
  run_failed = 3,  // the run could not be carried out or is not valid
  no_verdict = 4,  // no baseline, stale baseline, or too noisy to decide
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

// Of two outcomes, the one to exit with: bad input (2) > run failed (3) > regressed (1) >
// no verdict (4) > ok (0).
constexpr ExitCode worst(ExitCode a, ExitCode b) {
  const auto rank = [](ExitCode c) {
    switch (c) {
      case ExitCode::bad_input:
        return 4;
      case ExitCode::run_failed:
        return 3;
      case ExitCode::regressed:
        return 2;
      case ExitCode::no_verdict:
        return 1;
      case ExitCode::ok:
        return 0;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace memgate
