#include "runtime/watch/role_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/model/text_file.hpp"

namespace memgate {

namespace {

// Process group and session of pid (fields 5 and 6 of /proc/PID/stat); {0, 0} when unknown.
std::pair<int, int> group_and_session(int pid) {
  const std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  int ppid = 0, pgrp = 0, session = 0;
  char state = 0;
  if (close == std::string::npos ||
      std::sscanf(stat.c_str() + close + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) {
    return {0, 0};
  }
  return {pgrp, session};
}

}  // namespace

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
  const auto decide = [&]() -> const std::string& {
    for (const Role& role : roles_) {
      if (!role.cgroup_pids) continue;
      const auto members = role.cgroup_pids();
      if (std::find(members.begin(), members.end(), pid) != members.end()) return role.name;
    }
    const auto [group, session] = group_and_session(pid);
    for (const Role& role : roles_) {
      if (group == role.root_pid || session == role.root_pid) return role.name;
    }
    return roles_.front().name;
  };
  return seen_[pid] = decide();
}

}  // namespace memgate
