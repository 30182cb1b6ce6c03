#pragma once

// The snapshots memgate's sitecustomize (runtime/explain/python_hook.cpp) writes from a Python
// SUT -> allocation sites. One file per process and moment, JSON:
//   {"schema": "memgate-tracemalloc", "version": 1, "pid": 4242, "moment": "load-end",
//    "traced_bytes": 123, "traced_peak_bytes": 456, "frames": 25,
//    "stats": [{"file": "/app/worker.py", "line": 76, "size_bytes": 16384, "count": 1,
//               "code": "leaked.append(...)"}, ...]}
// "moment" is "load-end" (when memgate ended the load phase) or "exit" (atexit, or SIGTERM to
// a program that left it at the default). Sizes are tracemalloc's, exact, by file and line of
// the most recent frame (Snapshot.statistics("lineno")).

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/explain/heap_profile.hpp"

namespace memgate {

struct TracemallocSnapshot {
  std::string file;  // where it was read, for messages
  nlohmann::json doc;
};

// Sums the processes' snapshots by file:line: held_* from the "load-end" ones (from the "exit"
// ones when none was taken: a command SUT whose whole life is the load, or a run whose load did
// not end), leaked_* from the "exit" ones. tool = "tracemalloc", held_at = "end of load" (or
// "exit"). peak_bytes is the highest traced peak of a process. Throws InputError naming the
// file and JSON path of a malformed snapshot. No snapshot at all gives a note, not an error.
HeapProfile profile_from_snapshots(const std::vector<TracemallocSnapshot>& snapshots);

}  // namespace memgate
