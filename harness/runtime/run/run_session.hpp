#pragma once

// One repetition of a scenario, every run path's one sequence (memgate run/check/baseline and
// memgate watch alike):
//   services start in order, each until ready; the SUT starts; the watcher starts; then
//   - with a driver: the SUT until ready, idle, warm-up, load (load_s, or load_ops bounded by
//     load_timeout_s), cool-down;
//   - without one (command): the SUT's whole life is the load (after an optional warm-up),
//     bounded by load_timeout_s;
//   then the load stops, the SUT's tree stops, the services' trees stop in reverse order.
// Why a run stopped early (an interrupt, the SUT or a service exiting, the driver's fatal error,
// the Redis probe's problem, a timeout) is decided here, from what the RunBackend reports, so
// the phase logic is tested with a fake backend. A run that could not be carried out is recorded
// as invalid saying why, with the last lines of the process to blame, never thrown.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/model/run_record.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/run/run_backend.hpp"

namespace memgate {

// What a run tells the user while it works (the CLI decides how to show it).
struct ProgressEvent {
  enum class Kind { phase_start, tick, run_end };
  Kind kind = Kind::phase_start;
  int run = 1;
  int runs = 1;
  std::string phase;         // ready, idle, warmup, load, cooldown
  double planned_s = 0;      // the phase's planned length (0: until done)
  double elapsed_s = 0;      // in the phase so far
  std::int64_t ops = 0;      // load phase: operations so far
  std::int64_t bytes = 0;    // the latest memory sample of the SUT
  std::string note;          // run_end: "valid" or why not
  std::string service;       // ready: the service waited for ("" : the SUT)
};

struct SessionSettings {
  int index = 1;                // 1-based repetition number
  int runs = 1;                 // of how many (for progress)
  std::string run_dir;          // {run_dir}: logs and `files` go here ("" : no files, no logs)
  bool inherit_output = false;  // the SUT writes to memgate's stdout/stderr (memgate watch)
  std::function<void(const ProgressEvent&)> progress;  // may be empty
};

// Runs one repetition of scenario (as loaded: instantiated here with fresh ports).
RunRecord run_session(const Scenario& scenario, RunBackend& backend,
                      const SessionSettings& settings);

}  // namespace memgate
