#pragma once

// `memgate explain`'s run: the scenario once (repeat 1) through the same run session as
// `memgate run` (run_scenario, RealBackend: same services, phases and load), with the SUT watched
// by heaptrack or tracemalloc (explain_plan.hpp), then the tool's data read into a HeapProfile.
// A SUT no tool can follow is not run: the profile's tool is "none" and its note says why.

#include <functional>
#include <optional>
#include <string>

#include "core/explain/heap_profile.hpp"
#include "core/report/report.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/run/run_session.hpp"

namespace memgate {

struct ExplainSettings {
  std::string out_dir;  // the run's folder is out_dir/run1; created if missing
  // From memgate's environment (the CLI reads it): where programs are found, and what the SUT
  // inherits, kept after memgate's own entries.
  std::string path_env;
  std::string inherited_ld_preload;
  std::string inherited_pythonpath;
  // Frames per traceback (PYTHONTRACEMALLOC). The tables group by the most recent frame
  // (file:line), which one frame gives; each further frame costs CPU on every allocation
  // (the shipped worker: 1 frame 3.8x its CPU per job, 25 frames 11.8x).
  int tracemalloc_frames = 1;
  int peak_limit = 200;  // sites heaptrack_print lists per table (as many as a profile keeps)
  int caller_depth = kDefaultCallerDepth;              // frames of the SUT's own code kept per site
  std::function<void(const ProgressEvent&)> progress;  // may be empty
};

struct ExplainOutcome {
  HeapProfile profile;           // scenario, command, tool, sites, notes (not created_at)
  std::optional<Report> report;  // the run's report, when the SUT ran
  std::string data_file;         // heaptrack's data file (for heaptrack_gui), or ""
};

// Source paths in the profile are relative to the project's folder (the nearest folder above the
// scenario file holding .git or memgate.json, else the scenario's own folder) when under it.
// Throws RunError (exit 3) when heaptrack is needed and missing, or its programs fail; an
// invalid run is not an error: the profile covers what ran, with a note, and report says why.
ExplainOutcome run_explain(const Scenario& scenario, const ExplainSettings& settings);

}  // namespace memgate
