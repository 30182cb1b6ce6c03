#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "runtime/process/reaper.hpp"

namespace memgate {

// Stops the process tree of root_pid (its descendants, the orphans re-parented to memgate, and
// extra_pids(), e.g. the members of the SUT's cgroup): SIGTERM to the root's process group and
// to every member, up to grace_s for all to exit, then SIGKILL, again and again until the tree is
// empty (a member may fork while it is being stopped). A second interrupt (Ctrl-C twice) skips
// the grace. Returns how the root ended, when memgate reaped it.
std::optional<ExitInfo> stop_process_tree(int root_pid, double grace_s,
                                          const std::function<std::vector<int>()>& extra_pids = {});

}  // namespace memgate
