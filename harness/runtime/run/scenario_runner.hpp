#pragma once

// Runs a scenario: `repeat` repetitions (run_session), each with fresh processes, and returns the
// report (runs, summary, context); a sweep runs `repeat` rounds of every value (sweep_order), so
// repeat x values runs. A repetition that cannot be carried out (a process does not start,
// crashes, the target is unreachable, memgate is interrupted) is recorded as an invalid run
// saying why, with the log tail of the process to blame, and ends the scenario early: the report
// is partial but never says "pass" (a sweep interrupted between two runs: its last run is marked
// invalid, since the figures of a partial round would be judged at the wrong values).

#include <functional>
#include <memory>
#include <string>

#include "core/report/report.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/run/run_backend.hpp"
#include "runtime/run/run_session.hpp"

namespace memgate {

struct RunSettings {
  // Each run's folder ({run_dir}: its logs and `files`) is out_dir/run<N> (out_dir must exist).
  // Run folders and logs of earlier runs in out_dir are removed when first_index is 1.
  std::string out_dir;
  int repeat = 1;       // repetitions; of a sweep, rounds of its values
  int first_index = 1;  // number of the first run (reruns continue the count; in a sweep, after
                        // whole rounds)
  bool measure_speed = true;  // time the reference workload before and after (speed_index.hpp)
  bool early_stop = true;     // check: stop after kEarlyRuns when the answer is clear
  std::function<void(const ProgressEvent&)> progress;  // may be empty
  // A fresh backend for every run (real_backend for real processes): required.
  std::function<std::unique_ptr<RunBackend>()> backend;
};

Report run_scenario(const Scenario& scenario, const RunSettings& settings);

// Said once per report when the watcher resets the processes' high-water marks (exact_peak).
constexpr const char* kExactPeakNote =
    "memgate resets each process's high-water mark every window to find the tree's exact peak: "
    "the SUT's own VmHWM and ru_maxrss, and /usr/bin/time around memgate, then read only the "
    "last window; \"watch\": {\"exact_peak\": false} (memgate watch --no-exact-peak) keeps "
    "them whole";

// The report's frame for a scenario (name, hash, driver, environment, gate), without runs.
Report new_report(const Scenario& scenario);

}  // namespace memgate
