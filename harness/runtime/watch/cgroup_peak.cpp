#include "runtime/watch/cgroup_peak.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"

namespace memgate {

namespace {


bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "memgate-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Cgroups left by a memgate that died without cleaning up (SIGKILL): their members are the
// survivors of its SUT. Kills them and removes the cgroups. Best effort.
void sweep_stale(const std::string& parent) {
  DIR* dir = ::opendir(parent.c_str());
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    int owner = 0, n = 0;
    if (std::sscanf(entry->d_name, "memgate-%d-%d", &owner, &n) != 2) continue;
    if (owner == ::getpid() || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    const std::string path = parent + "/" + entry->d_name;
    for (int round = 0; round < 50; ++round) {
      const auto pids = procfs::parse_pid_list(read_text_file(path + "/cgroup.procs"));
      if (pids.empty()) break;
      for (int pid : pids) ::kill(pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::rmdir(path.c_str());
  }
  ::closedir(dir);
}

// Creates parent/NAME and checks it has peak_file; returns its path or "".
std::string make_child(const std::string& parent, const char* peak_file, std::string& why_not) {
  if (!exists(parent)) {
    why_not = parent + " does not exist";
    return "";
  }
  sweep_stale(parent);
  const std::string path = parent + "/" + unique_name();
  if (::mkdir(path.c_str(), 0755) != 0) {
    why_not = "cannot create " + path + ": " + std::strerror(errno);
    return "";
  }
  if (!exists(path + "/" + peak_file)) {
    ::rmdir(path.c_str());
    why_not = std::string("no ") + peak_file + " in " + parent;
    return "";
  }
  return path;
}

}  // namespace

std::unique_ptr<CgroupPeak> CgroupPeak::try_create(std::string& why_not) {
  const std::string self = read_text_file("/proc/self/cgroup");
  std::string path;
  int version = 0;
  if (exists("/sys/fs/cgroup/cgroup.controllers")) {  // unified (v2) hierarchy
    if (auto own = procfs::cgroup_v2_path(self)) {
      path = make_child("/sys/fs/cgroup" + (*own == "/" ? "" : *own), "memory.peak", why_not);
      version = 2;
    }
  } else if (exists("/sys/fs/cgroup/memory")) {  // v1 memory hierarchy
    const std::string base = "/sys/fs/cgroup/memory";
    if (auto own = procfs::cgroup_v1_memory_path(self)) {
      path = make_child(base + (*own == "/" ? "" : *own), "memory.max_usage_in_bytes", why_not);
    }
    if (path.empty()) path = make_child(base, "memory.max_usage_in_bytes", why_not);
    version = 1;
  } else {
    why_not = "no memory cgroup hierarchy mounted";
  }
  if (path.empty()) return nullptr;
  const int fd = ::open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    why_not = "cannot open " + path + "/cgroup.procs: " + std::strerror(errno);
    ::rmdir(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<CgroupPeak>(new CgroupPeak(path, version, fd));
}

CgroupPeak::CgroupPeak(std::string path, int version, int procs_fd)
    : path_(std::move(path)), version_(version), procs_fd_(procs_fd) {}

CgroupPeak::~CgroupPeak() {
  ::close(procs_fd_);
  // Members that just died may still be leaving the cgroup: retry for up to ~1 s.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::rmdir(path_.c_str()) == 0 || errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<std::int64_t> CgroupPeak::peak_bytes() const {
  const char* file = version_ == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes";
  return procfs::parse_int64(read_text_file(path_ + file));
}

std::vector<int> CgroupPeak::pids() const {
  return procfs::parse_pid_list(read_text_file(path_ + "/cgroup.procs"));
}

bool CgroupPeak::contains(int pid) const {
  const auto members = pids();
  return std::find(members.begin(), members.end(), pid) != members.end();
}

}  // namespace memgate
