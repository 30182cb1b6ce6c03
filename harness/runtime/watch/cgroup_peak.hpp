#pragma once

// A memory cgroup of the SUT's own, where the machine lets memgate create one: cgroup v2 with
// memory.peak, or v1 with memory.max_usage_in_bytes (as root, or in a delegated subtree). The
// SUT joins it before exec, so its whole tree is charged there and the kernel keeps the exact
// peak of the tree. The charge also counts page cache and kernel memory, so the figure is
// reported beside peak_bytes (cgroup_peak_bytes), not folded into it. Its member list also
// finds any process that escaped the tree when the SUT is stopped, and a memgate killed with
// SIGKILL leaves its SUT's survivors in a cgroup named after its pid, which the next memgate
// kills and removes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace memgate {

class CgroupPeak {
 public:
  // nullptr when the machine does not allow it; why_not then says why.
  static std::unique_ptr<CgroupPeak> try_create(std::string& why_not);
  ~CgroupPeak();  // removes the cgroup (it must be empty by then; retried briefly)
  CgroupPeak(const CgroupPeak&) = delete;
  CgroupPeak& operator=(const CgroupPeak&) = delete;

  // Open for writing, close-on-exec: the child writes "0" to it to join before exec.
  int procs_fd() const { return procs_fd_; }
  std::optional<std::int64_t> peak_bytes() const;
  std::vector<int> pids() const;
  bool contains(int pid) const;

 private:
  CgroupPeak(std::string path, int version, int procs_fd);
  std::string path_;
  int version_;
  int procs_fd_;
};

}  // namespace memgate
