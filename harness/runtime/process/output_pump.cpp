#include "runtime/process/output_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <utility>

#include "core/model/secret_mask.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {
constexpr std::size_t kMaxTailLineBytes = 4096;
constexpr std::size_t kMaxPendingLogBytes = 64 * 1024;
}

OutputPump::OutputPump(int read_fd, const std::string& log_path, std::vector<std::string> watched,
                       std::size_t tail_lines, LogMasking log_masking)
    : fd_(read_fd), tail_lines_(tail_lines), mask_log_(log_masking == LogMasking::secrets) {
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
  line = secrets::mask(line);  // before the cut: no part of a secret stays
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
        write_log(buf, static_cast<std::size_t>(n), false);
        std::lock_guard lock(mutex_);
        partial_.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t eol; (eol = partial_.find('\n', start)) != std::string::npos;
             start = eol + 1) {
          take_line_locked(partial_.substr(start, eol - start));
        }
        partial_.erase(0, start);
        // A line without end must not grow without bound: cut it into pieces, masked first and
        // cut short of the end by a secret's length, so that no secret is split between two.
        if (partial_.size() > 1024 * 1024) {
          std::string masked = secrets::mask(partial_);
          const std::size_t keep = std::min(masked.size(), secrets::longest_form_bytes());
          partial_ = masked.substr(masked.size() - keep);
          masked.resize(masked.size() - keep);
          take_line_locked(std::move(masked));
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
  write_log(nullptr, 0, true);
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) take_line_locked(std::exchange(partial_, {}));
  eof_ = true;
  changed_.notify_all();
}

void OutputPump::write_log(const char* data, std::size_t size, bool ending) {
  if (log_fd_ < 0) return;
  // The log is best effort (a full disk must not stop the run): the tail stays in memory.
  const auto put = [&](const char* bytes, std::size_t count) {
    for (std::size_t done = 0; done < count;) {
      const ssize_t w = ::write(log_fd_, bytes + done, count - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;
      done += static_cast<std::size_t>(w);
    }
  };
  if (!mask_log_ || (!secrets::any() && log_pending_.empty())) {
    put(data, size);
    return;
  }
  log_pending_.append(data, size);
  // Whole lines are masked and written; a line that does not end is written in pieces once it
  // is long, but for the last bytes that could begin a secret continued in the next read.
  std::size_t cut = ending ? log_pending_.size() : log_pending_.rfind('\n');
  cut = cut == std::string::npos ? 0 : ending ? cut : cut + 1;
  if (cut == 0 && log_pending_.size() > kMaxPendingLogBytes) {
    log_pending_ = secrets::mask(log_pending_);
    const std::size_t keep = secrets::longest_form_bytes();
    cut = log_pending_.size() > keep ? log_pending_.size() - keep : 0;
  }
  if (cut == 0) return;
  const std::string text = secrets::mask(std::string_view(log_pending_).substr(0, cut));
  put(text.data(), text.size());
  log_pending_.erase(0, cut);
}

std::size_t OutputPump::count(const std::string& text) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(text);
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::string> OutputPump::tail() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out(tail_.begin(), tail_.end());
  if (!partial_.empty()) out.push_back(secrets::mask(partial_).substr(0, kMaxTailLineBytes));
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
