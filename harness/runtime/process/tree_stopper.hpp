#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "runtime/process/reaper.hpp"

namespace memgate {

struct StopResult {
  std::optional<ExitInfo> root;  // how the root ended, once memgate reaped it
  std::vector<int> survivors;    // members still alive after every attempt (e.g. EPERM)
  int killed = 0;                // members still alive at the end of the grace: SIGKILLed
};

// Stops a process tree gracefully, each process signalled once, as supervisors do:
// 1. SIGTERM to the root alone: a worker that stops its own children (RQ's work horse, Celery's
//    pool) shuts down warm, its job in flight finished;
// 2. when the root has exited (or at once when it had already), SIGTERM once to every member
//    left, and to members that appear later;
// 3. at the end of grace_s: SIGKILL to whatever is left (the root's process group and every
//    member), again until nothing is left (a member may fork while it is being stopped).
// A second SIGTERM would make such workers shut down cold: no process gets two. A second
// interrupt (Ctrl-C twice) skips the grace. members() lists the tree's live processes (root
// included while it lives).
StopResult stop_process_tree(int root_pid, const std::function<std::vector<int>()>& members,
                             double grace_s);

}  // namespace memgate
