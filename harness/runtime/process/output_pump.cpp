#include "runtime/process/output_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <utility>

#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {
constexpr std::size_t kMaxTailLineBytes = 4096;
}

OutputPump::OutputPump(int read_fd, const std::string& log_path, std::vector<std::string> watched,
                       std::size_t tail_lines)
    : fd_(read_fd), tail_lines_(tail_lines) {
  for (auto& text : watched) counts_[std::move(text)] = 0;
  if (!log_path.empty()) {
    log_fd_ = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) stop_pipe_[0] = stop_pipe_[1] = -1;
  thread_ = std::thread([this] { run(); });
}

OutputPump::~OutputPump() {
  stop(0);
  if (thread_.joinable()) thread_.join();
  for (int fd : {fd_, stop_pipe_[0], stop_pipe_[1], log_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void OutputPump::take_line_locked(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  for (auto& [text, n] : counts_) {
    if (line.find(text) != std::string::npos) ++n;
  }
  if (line.size() > kMaxTailLineBytes) line = line.substr(0, kMaxTailLineBytes) + " [...]";
  tail_.push_back(std::move(line));
  while (tail_.size() > tail_lines_) tail_.pop_front();
}

void OutputPump::run() {
  interrupt::block_in_this_thread();
  char buf[16384];
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, stop_pipe_[0] >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const bool stopping = (fds[1].revents & POLLIN) != 0;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) {
        // The log is best effort (a full disk must not stop the run): the tail stays in memory.
        if (log_fd_ >= 0) {
          for (ssize_t done = 0, w = 0; done < n; done += w) {
            w = ::write(log_fd_, buf + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) w = 0;
            else if (w <= 0) break;
          }
        }
        std::lock_guard lock(mutex_);
        partial_.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t eol; (eol = partial_.find('\n', start)) != std::string::npos;
             start = eol + 1) {
          take_line_locked(partial_.substr(start, eol - start));
        }
        partial_.erase(0, start);
        // A line without end must not grow without bound: cut it into pieces.
        if (partial_.size() > 1024 * 1024) {
          take_line_locked(std::move(partial_));
          partial_.clear();
        }
        changed_.notify_all();
        if (stopping) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EOF or error
    }
    if (stopping) break;
  }
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) take_line_locked(std::exchange(partial_, {}));
  eof_ = true;
  changed_.notify_all();
}

std::size_t OutputPump::count(const std::string& text) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(text);
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::string> OutputPump::tail() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out(tail_.begin(), tail_.end());
  if (!partial_.empty()) out.push_back(partial_.substr(0, kMaxTailLineBytes));
  return out;
}

void OutputPump::stop(double drain_ms) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::microseconds(static_cast<long long>(drain_ms * 1000)),
                      [&] { return eof_; });
    if (eof_) return;
  }
  if (stop_pipe_[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(stop_pipe_[1], &byte, 1);
  }
}

}  // namespace memgate
