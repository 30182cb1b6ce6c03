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
  int killed = 0;                // members still alive after SIGTERM and the grace: SIGKILLed
};

// Stops the process tree of root_pid (its descendants, the orphans re-parented to memgate, and
// extra_pids(), e.g. the members of the SUT's cgroup): SIGTERM to the root's process group (while
// the root lives: its pgid cannot have been reused then) and to every member, up to grace_s for
// all to exit, then SIGKILL, again and again until the tree is empty (a member may fork while it
// is being stopped). A second interrupt (Ctrl-C twice) skips the grace. exits_after: the reaper
// sequence number from before the root was launched.
StopResult stop_process_tree(int root_pid, std::uint64_t exits_after, double grace_s,
                             const std::function<std::vector<int>()>& extra_pids = {});

}  // namespace memgate
