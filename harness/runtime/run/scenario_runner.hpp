#pragma once

// Runs a scenario: `repeat` repetitions, a fresh SUT each, every phase in order
// (idle -> warm-up -> load -> cool-down), and returns the report (runs, summary, context).
// A repetition that cannot be carried out (the SUT does not start, crashes, the target is
// unreachable, memgate is interrupted) is recorded as an invalid run saying why, with the SUT's
// log tail, and ends the scenario early: the report is partial but never says "pass".

#include <functional>
#include <string>

#include "core/report/report.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

// What the runner tells the user while it works (the CLI decides how to show it).
struct ProgressEvent {
  enum class Kind { phase_start, tick, run_end };
  Kind kind = Kind::phase_start;
  int run = 1;
  int runs = 1;
  std::string phase;         // idle, warmup, load, cooldown, ready
  double planned_s = 0;      // the phase's planned length (0: until done)
  double elapsed_s = 0;      // in the phase so far
  std::int64_t ops = 0;      // load phase: operations so far
  std::int64_t bytes = 0;    // the latest memory sample
  std::string note;          // run_end: "valid" or why not
};

struct RunSettings {
  std::string out_dir;  // the SUT's logs go here as sut-run<N>.log (must exist)
  int repeat = 1;
  int first_index = 1;  // number of the first run (reruns continue the count)
  std::function<void(const ProgressEvent&)> progress;  // may be empty
};

Report run_scenario(const Scenario& scenario, const RunSettings& settings);

}  // namespace memgate
