#include "runtime/watch/role_registry.hpp"

#include <algorithm>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"

namespace memgate {

void RoleRegistry::add_role(const std::string& role, int root_pid,
                            std::function<std::vector<int>()> cgroup_pids) {
  std::lock_guard lock(mutex_);
  roles_.push_back({role, root_pid, std::move(cgroup_pids)});
  seen_[root_pid] = role;
}

void RoleRegistry::saw(int pid, const std::string& role) {
  std::lock_guard lock(mutex_);
  seen_[pid] = role;
}

std::string RoleRegistry::role_of_orphan(int pid) {
  std::lock_guard lock(mutex_);
  if (roles_.empty()) return "";
  if (const auto it = seen_.find(pid); it != seen_.end()) return it->second;
  const auto decide = [&]() -> std::string {
    for (const Role& role : roles_) {
      if (!role.cgroup_pids) continue;
      const auto members = role.cgroup_pids();
      if (std::find(members.begin(), members.end(), pid) != members.end()) return role.name;
    }
    const auto stat = procfs::parse_stat(read_text_file("/proc/" + std::to_string(pid) + "/stat"));
    for (const Role& role : roles_) {
      if (stat && (stat->pgrp == role.root_pid || stat->session == role.root_pid)) return role.name;
    }
    const bool has_sut =
        std::any_of(roles_.begin(), roles_.end(), [](const Role& r) { return r.name == "sut"; });
    return has_sut ? "sut" : roles_.front().name;  // services started before the SUT
  };
  return seen_[pid] = decide();
}

}  // namespace memgate
