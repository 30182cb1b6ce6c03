#include "runtime/process/tree_stopper.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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
bool is_zombie_or_gone(int pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "re");
  if (!f) return true;
  // "pid (comm) state ...": comm may hold spaces and parentheses; the state follows the last ')'.
  char buf[512];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  char state = '?';
  if (const char* close = std::strrchr(buf, ')'); close && close[1] == ' ') state = close[2];
  return state == 'Z' || state == 'X';
}

std::vector<int> alive(const std::vector<int>& pids) {
  std::vector<int> out;
  for (int pid : pids) {
    if (!is_zombie_or_gone(pid)) out.push_back(pid);
  }
  return out;
}

void signal_all(int root_pid, const std::vector<int>& pids, int sig) {
  if (Reaper::instance().is_launched(root_pid)) ::kill(-root_pid, sig);  // its process group
  for (int pid : pids) ::kill(pid, sig);
}

}  // namespace

StopResult stop_process_tree(int root_pid, std::uint64_t exits_after, double grace_s,
                             const std::function<std::vector<int>()>& extra_pids) {
  using Clock = std::chrono::steady_clock;
  ProcTreeSource tree(root_pid, MemoryKind::rss, exits_after);
  std::vector<int> left = alive(members(tree, extra_pids));
  if (!left.empty()) {
    signal_all(root_pid, left, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::microseconds(
                                             static_cast<long long>(grace_s * 1e6));
    while (Clock::now() < deadline && interrupt::count() < 2) {
      left = alive(members(tree, extra_pids));
      if (left.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // SIGKILL cannot be ignored; repeat while members fork. A kill that fails (EPERM) leaves
  // survivors, which the caller reports.
  StopResult result;
  for (int round = 0; round < 200; ++round) {
    left = alive(members(tree, extra_pids));
    if (left.empty()) break;
    if (round == 0) result.killed = static_cast<int>(left.size());
    signal_all(root_pid, left, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.root = Reaper::instance().wait_exit(root_pid, 5000);
  result.survivors = alive(members(tree, extra_pids));
  return result;
}

}  // namespace memgate
