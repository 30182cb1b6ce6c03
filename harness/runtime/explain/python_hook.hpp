#pragma once

// The sitecustomize.py that turns a Python SUT's tracemalloc snapshots on without touching the
// program. memgate puts its folder first on the SUT's PYTHONPATH and sets PYTHONTRACEMALLOC
// (tracing from the interpreter's start) and MEMGATE_EXPLAIN_DIR; in every Python process of the
// tree (forked children too, through os.register_at_fork) the hook:
//   - takes a "load-end" snapshot once the file MEMGATE_EXPLAIN_DIR/load-ended exists: memgate
//     creates it when the load phase ends, and a daemon thread looks for it every 50 ms (a file,
//     not a signal: no handler of the program is replaced, a process blocked in a C call still
//     answers, and every process of the tree sees it);
//   - takes an "exit" snapshot at exit (atexit), and on SIGTERM when the program left SIGTERM at
//     its default (then re-raises it, so the process still ends by the signal);
//   - then imports the sitecustomize it shadows (Debian ships one), if any.
// Snapshots are JSON (tracemalloc_snapshot.hpp): MEMGATE_EXPLAIN_DIR/<moment>.<pid>.json, written
// to a temporary name and renamed.

#include <string>

namespace memgate {

// The text of the hook.
const std::string& python_hook_source();

// Writes dir/sitecustomize.py (creating dir). Throws RunError naming the path.
void write_python_hook(const std::string& dir);

}  // namespace memgate
