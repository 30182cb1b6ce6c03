#include "runtime/process/reaper.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>


#include "runtime/process/interrupt.hpp"

namespace memgate {

bool ExitInfo::exited_normally() const { return WIFEXITED(wait_status); }
int ExitInfo::exit_code() const { return WEXITSTATUS(wait_status); }
int ExitInfo::term_signal() const { return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0; }

std::string ExitInfo::describe() const {
  if (exited_normally()) return fmt::format("exited with status {}", exit_code());
  const int sig = term_signal();
  const char* name = sigabbrev_np(sig);
  return fmt::format("killed by signal {} (SIG{}){}", sig, name ? name : "?",
                     WCOREDUMP(wait_status) ? ", core dumped" : "");
}

struct Reaper::State {
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::set<int> launched;              // launched by memgate, not reaped yet
  std::map<int, ExitInfo> exits;      // exits of launched processes, by pid
  std::vector<ExitInfo> log;          // every exit, in order
  std::uint64_t launches = 0;         // bumped by register_launched: wakes an idle reaper
};

Reaper& Reaper::instance() {
  static Reaper* reaper = new Reaper();  // never destroyed: its thread lives as long as memgate
  return *reaper;
}

Reaper::Reaper() : state_(new State) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::thread([this] { run(); }).detach();
}

void Reaper::run() {
  // Block the signals memgate handles, so they are always delivered to other threads.
  interrupt::block_in_this_thread();
  while (true) {
    std::uint64_t launches_seen;
    {
      std::lock_guard lock(state_->mutex);
      launches_seen = state_->launches;
    }
    int status = 0;
    rusage usage{};
    const pid_t pid = ::wait4(-1, &status, 0, &usage);
    if (pid > 0) {
      std::lock_guard lock(state_->mutex);
      ExitInfo info{pid, status, static_cast<std::int64_t>(usage.ru_maxrss) * 1024,
                    rusage_cpu_us(usage),
                    state_->log.size() + 1, state_->launched.erase(pid) > 0};
      if (info.launched) state_->exits[pid] = info;
      state_->log.push_back(info);
      state_->changed.notify_all();
      continue;
    }
    if (errno == EINTR) continue;
    // ECHILD: no children. Sleep until memgate launches one.
    std::unique_lock lock(state_->mutex);
    state_->changed.wait(lock, [&] { return state_->launches != launches_seen; });
  }
}

Reaper::LaunchLock::LaunchLock(Reaper& reaper) : reaper_(reaper) { reaper_.state_->mutex.lock(); }

Reaper::LaunchLock::~LaunchLock() {
  reaper_.state_->mutex.unlock();
  reaper_.state_->changed.notify_all();
}

std::uint64_t Reaper::LaunchLock::launched(int pid) {
  State& s = *reaper_.state_;
  if (pid > 0) {
    s.launched.insert(pid);
    s.exits.erase(pid);  // an earlier process with the same pid
    ++s.launches;
  }
  return s.log.size();
}

bool Reaper::is_launched(int pid) const {
  std::lock_guard lock(state_->mutex);
  return state_->launched.count(pid) > 0;
}

std::optional<ExitInfo> Reaper::exit_of(int pid) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->exits.find(pid);
  if (it == state_->exits.end()) return std::nullopt;
  return it->second;
}

std::optional<ExitInfo> Reaper::wait_exit(int pid, double timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<long long>(timeout_ms * 1000));
  std::unique_lock lock(state_->mutex);
  while (true) {
    const auto it = state_->exits.find(pid);
    if (it != state_->exits.end()) return it->second;
    if (state_->changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      const auto late = state_->exits.find(pid);
      if (late == state_->exits.end()) return std::nullopt;
      return late->second;
    }
  }
}

bool Reaper::wait_reaped_after(std::uint64_t after, std::size_t count, double timeout_ms) const {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(
      lock, std::chrono::microseconds(static_cast<long long>(timeout_ms * 1000)),
      [&] { return state_->log.size() >= after + count; });
}

std::vector<ExitInfo> Reaper::exits_after(std::uint64_t after) const {
  std::lock_guard lock(state_->mutex);
  if (after >= state_->log.size()) return {};
  return {state_->log.begin() + static_cast<std::ptrdiff_t>(after), state_->log.end()};
}

}  // namespace memgate
