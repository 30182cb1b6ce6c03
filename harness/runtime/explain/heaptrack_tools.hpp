#pragma once

// heaptrack's programs, found as its own `heaptrack` script finds them (relative to the script,
// Debian's /usr/bin/heaptrack -> /usr/lib/heaptrack/...), and the two steps after a run:
// heaptrack_interpret (raw trace -> heaptrack data file, symbols resolved) and heaptrack_print
// (the data file -> the text parse_heaptrack_print reads).

#include <string>
#include <vector>

namespace memgate {

struct HeaptrackTools {
  std::string preload_lib;  // libheaptrack_preload.so
  std::string interpret;    // libexec/heaptrack_interpret
  std::string print;        // heaptrack_print
};

// Throws RunError (exit 3) "heaptrack not found ..." with the make target that installs it,
// when `heaptrack` is not on path_env or a part of it is missing.
HeaptrackTools find_heaptrack(const std::string& path_env);

// Runs argv (no shell) with stdin from stdin_path ("" : /dev/null), stdout into stdout_path,
// stderr into stderr_path, and waits up to timeout_s (then kills it; memgate's interruption
// stops it too). Returns the exit status text ("" when it exited 0), for messages.
std::string run_helper(const std::vector<std::string>& argv, const std::string& stdin_path,
                       const std::string& stdout_path, const std::string& stderr_path,
                       double timeout_s);

// The raw trace -> data file (data_path) -> heaptrack_print's text (text_path). Throws
// RunError naming the step and its log when one fails.
void interpret_and_print(const HeaptrackTools& tools, const std::string& raw_path,
                         const std::string& data_path, const std::string& text_path,
                         int peak_limit);

}  // namespace memgate
