#pragma once

// Reads what the SUT writes to its stdout/stderr (one pipe) on a thread of its own: writes every
// byte to the log file, keeps the last lines for error messages, and counts the lines containing
// each watched text (readiness by log line, and synchronisation points in tests). The last lines
// have the secrets memgate knows masked (core/model/secret_mask.hpp); so has the log file, unless
// it is the SUT's own (LogMasking::none), which keeps every byte as the SUT wrote it.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace memgate {

enum class LogMasking { secrets, none };

class OutputPump {
 public:
  // Takes ownership of read_fd. log_path may be empty (no log file). watched: the texts whose
  // lines are counted from the first byte on, so none is missed however early it comes.
  OutputPump(int read_fd, const std::string& log_path, std::vector<std::string> watched,
             std::size_t tail_lines = 30, LogMasking log_masking = LogMasking::secrets);
  ~OutputPump();  // stop() and join
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  // Lines read so far that contain text (one of the watched texts; others count 0).
  std::size_t count(const std::string& text) const;

  // Waits until count(text) >= n, up to timeout_ms, and while keep_waiting() (polled every
  // 20 ms) returns true and the pipe is open. Returns whether the count was reached.
  template <typename KeepWaiting>
  bool wait_for_count(const std::string& text, std::size_t n, double timeout_ms,
                      KeepWaiting&& keep_waiting);

  // The last lines read (a final line without newline too).
  std::vector<std::string> tail() const;

  // Stops reading: waits up to drain_ms for the writers to close the pipe (to keep the last
  // words of a dying SUT), then stops anyway, since a process that outlived the SUT may still
  // hold the write end. Idempotent.
  void stop(double drain_ms = 500);

 private:
  void run();
  void take_line_locked(std::string line);
  // Writes bytes to the log: as they come, or masked line by line (ending: all that is left).
  void write_log(const char* data, std::size_t size, bool ending);

  int fd_;
  int stop_pipe_[2] = {-1, -1};
  int log_fd_ = -1;  // the log file (mode 0644), -1 without one
  std::size_t tail_lines_;
  bool mask_log_;
  std::string log_pending_;  // masked logs: bytes not written yet (a line not ended)
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> tail_;
  std::string partial_;
  std::map<std::string, std::size_t> counts_;
  bool eof_ = false;
  std::thread thread_;
};

template <typename KeepWaiting>
bool OutputPump::wait_for_count(const std::string& text, std::size_t n, double timeout_ms,
                                KeepWaiting&& keep_waiting) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<long long>(timeout_ms * 1000));
  std::unique_lock lock(mutex_);
  const auto reached = [&] {
    const auto it = counts_.find(text);
    return it != counts_.end() && it->second >= n;
  };
  while (!reached()) {
    if (eof_ || std::chrono::steady_clock::now() >= deadline) return reached();
    lock.unlock();
    const bool go_on = keep_waiting();
    lock.lock();
    if (!go_on) return reached();
    changed_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                     std::chrono::milliseconds(20)));
  }
  return true;
}

}  // namespace memgate
