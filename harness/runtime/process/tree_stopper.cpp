#include "runtime/process/tree_stopper.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <thread>

#include "runtime/process/interrupt.hpp"
#include "runtime/watch/proc_tree_source.hpp"

namespace memgate {

namespace {

std::vector<int> members(ProcTreeSource& tree, const std::function<std::vector<int>()>& extra) {
  std::vector<int> pids = tree.pids();
  if (extra) {
    for (int pid : extra()) {
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
    }
  }
  return pids;
}

// A member that is only a zombie waiting to be reaped no longer needs stopping.
bool is_zombie(int pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "re");
  if (!f) return true;  // gone
  char state = '?';
  // "pid (comm) state ...": comm may hold spaces and parentheses; the state follows the last ')'.
  char buf[512];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  if (const char* close = std::strrchr(buf, ')'); close && close[1] == ' ') state = close[2];
  return state == 'Z' || state == 'X';
}

bool all_gone(const std::vector<int>& pids) {
  return std::all_of(pids.begin(), pids.end(), is_zombie);
}

void signal_all(int root_pid, const std::vector<int>& pids, int sig) {
  ::kill(-root_pid, sig);  // the SUT leads its own process group
  for (int pid : pids) ::kill(pid, sig);
}

}  // namespace

std::optional<ExitInfo> stop_process_tree(int root_pid, double grace_s,
                                          const std::function<std::vector<int>()>& extra_pids) {
  using Clock = std::chrono::steady_clock;
  ProcTreeSource tree(root_pid, MemoryKind::rss);
  std::vector<int> pids = members(tree, extra_pids);
  if (!all_gone(pids)) {
    signal_all(root_pid, pids, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::microseconds(
                                             static_cast<long long>(grace_s * 1e6));
    while (Clock::now() < deadline && interrupt::count() < 2) {
      pids = members(tree, extra_pids);
      if (all_gone(pids)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // SIGKILL cannot be ignored; repeat while members fork.
  for (int round = 0; round < 200; ++round) {
    pids = members(tree, extra_pids);
    if (all_gone(pids)) break;
    signal_all(root_pid, pids, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Reaper::instance().wait_exit(root_pid, 5000);
}

}  // namespace memgate
