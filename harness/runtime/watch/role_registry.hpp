#pragma once

// Which role (the SUT, a service) each process memgate watches belongs to. Every tree has memgate
// as its subreaper, so a process whose parent exits is re-parented to memgate and no longer shows
// whose it was: the registry remembers every member the trees' sources saw, and places an orphan
// it never saw by its memory cgroup, then by its process group or session (each role's root
// leads its own), and otherwise with the SUT (better counted there than lost).
// Thread-safe: the watcher's thread and the stoppers ask it.

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace memgate {

class RoleRegistry {
 public:
  // A role whose root process is root_pid; cgroup_pids lists its cgroup's members (may be empty).
  void add_role(const std::string& role, int root_pid,
                std::function<std::vector<int>()> cgroup_pids = {});

  // pid was seen as a member of role's tree.
  void saw(int pid, const std::string& role);

  // The role of an orphan (a process re-parented to memgate). "" when no role is registered.
  std::string role_of_orphan(int pid);

 private:
  struct Role {
    std::string name;
    int root_pid = 0;
    std::function<std::vector<int>()> cgroup_pids;
  };
  std::mutex mutex_;
  std::vector<Role> roles_;
  std::unordered_map<int, std::string> seen_;
};

}  // namespace memgate
