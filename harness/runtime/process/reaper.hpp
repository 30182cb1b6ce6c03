#pragma once

// The one place where memgate reaps child processes. A background thread waits for any child
// (wait4(-1)) and records how it ended and its peak RSS (rusage ru_maxrss), so:
// - exit codes are never lost to a second waiter (nobody else may call wait*() in memgate);
// - memgate is a child subreaper (PR_SET_CHILD_SUBREAPER): descendants the SUT orphans are
//   re-parented to memgate, stay visible as part of the SUT's tree, and are reaped here too;
// - the peak of a process that exits between two samples is still known from its rusage.

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memgate {

// User + system CPU time of a rusage, in µs.
inline std::int64_t rusage_cpu_us(const rusage& usage) {
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000LL + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

struct ExitInfo {
  int pid = 0;
  int wait_status = 0;                 // raw status of wait4(2)
  std::int64_t max_rss_bytes = 0;      // ru_maxrss: the process's (and its waited children's) peak
  std::int64_t cpu_us = 0;             // ru_utime + ru_stime: its CPU time, its waited children's too
  std::uint64_t sequence = 0;          // order in which memgate reaped it (1, 2, ...)
  bool launched = false;               // memgate launched it (else: an orphan it adopted)

  bool exited_normally() const;        // exited (not killed by a signal)
  int exit_code() const;               // when exited_normally()
  int term_signal() const;             // when killed by a signal
  std::string describe() const;        // "exited with status 1", "killed by signal 11 (SIGSEGV)"
};

class Reaper {
 public:
  // The process-wide reaper; the first call makes memgate a child subreaper.
  static Reaper& instance();

  struct Launched {
    int pid = -1;
    std::uint64_t sequence = 0;  // the number of processes reaped before the launch
  };

  // Runs spawn() (which forks and returns the child's pid, -1 or throws on failure) and records
  // the pid as launched by memgate (not an adopted orphan). The reaper records no exit while
  // spawn runs, so a reused pid's old exit is forgotten before the new process's exit can be
  // recorded, and `sequence` covers every exit of the new process and its descendants.
  template <typename Spawn>
  Launched launch(Spawn&& spawn) {
    LaunchLock lock(*this);
    const int pid = spawn();
    return {pid, lock.launched(pid)};
  }

  // True while pid is a process memgate launched and has not reaped yet.
  bool is_launched(int pid) const;

  // How a process memgate launched ended, once reaped (orphans' exits are only in the log).
  std::optional<ExitInfo> exit_of(int pid) const;

  // Waits until a process memgate launched is reaped, up to timeout_ms.
  std::optional<ExitInfo> wait_exit(int pid, double timeout_ms) const;

  // Waits until at least `count` processes were reaped after the one with sequence number
  // `after` (orphans included), up to timeout_ms. True when they were.
  bool wait_reaped_after(std::uint64_t after, std::size_t count, double timeout_ms) const;

  // Processes reaped after the one with sequence number `after`, in order.
  std::vector<ExitInfo> exits_after(std::uint64_t after) const;

 private:
  class LaunchLock {
   public:
    explicit LaunchLock(Reaper& reaper);
    ~LaunchLock();
    std::uint64_t launched(int pid);  // returns the sequence number before the launch

   private:
    Reaper& reaper_;
  };

  Reaper();
  void run();
  struct State;
  State* state_;
};

}  // namespace memgate
