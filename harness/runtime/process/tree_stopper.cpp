#include "runtime/process/tree_stopper.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

// A member that is only a zombie waiting to be reaped no longer needs stopping.
bool is_zombie_or_gone(int pid) {
  const auto stat = procfs::parse_stat(read_text_file("/proc/" + std::to_string(pid) + "/stat"));
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

std::vector<int> alive(const std::function<std::vector<int>()>& members) {
  std::vector<int> out;
  for (int pid : members()) {
    if (!is_zombie_or_gone(pid)) out.push_back(pid);
  }
  return out;
}

}  // namespace

StopResult stop_process_tree(int root_pid, const std::function<std::vector<int>()>& members,
                             double grace_s) {
  using Clock = std::chrono::steady_clock;
  const Reaper& reaper = Reaper::instance();
  const auto deadline =
      Clock::now() + std::chrono::microseconds(static_cast<long long>(grace_s * 1e6));
  std::set<int> termed;
  const auto term = [&](int pid) {
    if (termed.insert(pid).second) ::kill(pid, SIGTERM);
  };
  std::vector<int> left = alive(members);
  if (reaper.is_launched(root_pid) && !is_zombie_or_gone(root_pid)) term(root_pid);
  while (!left.empty() && Clock::now() < deadline && interrupt::count() < 2) {
    if (!reaper.is_launched(root_pid) || is_zombie_or_gone(root_pid)) {
      for (int pid : left) term(pid);  // the root is gone: what it left gets its SIGTERM
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    left = alive(members);
  }
  // SIGKILL cannot be ignored; repeat while members fork. A kill that fails (EPERM) leaves
  // survivors, which the caller reports.
  StopResult result;
  for (int round = 0; round < 200; ++round) {
    left = alive(members);
    if (left.empty()) break;
    if (round == 0) result.killed = static_cast<int>(left.size());  // told to stop, or not yet
    if (reaper.is_launched(root_pid)) ::kill(-root_pid, SIGKILL);  // its process group
    for (int pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.root = reaper.wait_exit(root_pid, 5000);
  result.survivors = alive(members);
  return result;
}

}  // namespace memgate
