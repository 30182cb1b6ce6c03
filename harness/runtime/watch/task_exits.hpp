#pragma once

// The kernel's record of every process that exits on the machine (taskstats exit notifications
// over generic netlink, as atop reads them; root only): its own peak RSS (hiwater_rss, the
// high-water mark of its memory at exit: its children's are not in it, unlike wait4's
// ru_maxrss), its parent and name, when it ended and how long it lived. The watcher uses them for
// what its samples cannot see: processes that lived between two samples, also grandchildren the
// SUT reaps itself, and the last stretch of every process's life.
// A thread receives the records as they come (so each gets the time it ended); take() also reads
// what is waiting, so a process reaped before a call has its record in that call's result.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace memgate {

struct TaskExit {
  int pid = 0;   // the process (thread group)
  int ppid = 0;  // its parent when it exited
  // The high-water mark of its RSS at exit: since its mark was last reset (clear_refs "5").
  std::int64_t peak_bytes = 0;
  std::string name;  // the kernel's comm (15 characters at most)
  std::chrono::steady_clock::time_point ended;
  double lived_ms = 0;
};

// What the watcher needs of the feed (tests give a fake).
class ExitRecords {
 public:
  virtual ~ExitRecords() = default;
  // The records received since the previous call, in the order they came.
  virtual std::vector<TaskExit> take() = 0;
  // How long the live process pid has lived, in ms; none when it cannot be told.
  virtual std::optional<double> lived_ms(int pid) = 0;
  // Some records were lost (the socket's buffer overflowed): exits may be missing.
  virtual bool lost() const = 0;
};

class TaskExitFeed : public ExitRecords {
 public:
  // Starts listening; null, with why_not set, where the machine does not allow it (not root, a
  // kernel without taskstats, a container without netlink).
  static std::unique_ptr<TaskExitFeed> open(std::string& why_not);
  ~TaskExitFeed() override;
  TaskExitFeed(const TaskExitFeed&) = delete;
  TaskExitFeed& operator=(const TaskExitFeed&) = delete;

  std::vector<TaskExit> take() override;
  std::optional<double> lived_ms(int pid) override;  // asks the kernel (TASKSTATS_CMD_GET)
  bool lost() const override { return lost_.load(); }

 private:
  TaskExitFeed(int fd, int query_fd, int family);
  void run();
  void receive_waiting();  // with mutex_ held

  int fd_;        // the exit records
  int query_fd_;  // questions about live processes, apart from the records
  int family_;
  std::mutex mutex_;
  std::vector<TaskExit> records_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace memgate
