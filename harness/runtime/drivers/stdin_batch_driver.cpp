#include "runtime/drivers/stdin_batch_driver.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/model/errors.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

int ms_until(std::chrono::steady_clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 100));  // wake to check stop
}

}  // namespace

std::string StdinBatchDriver::no_answer_message(std::size_t answered) const {
  // A program whose stdout is a pipe rather than a terminal usually holds its output in a
  // buffer (4 to 64 KiB) until it is full: the answers exist but never come back.
  constexpr const char* kBuffering =
      "it probably buffers its output when stdout is a pipe; make it write each line at once: "
      "mawk -W interactive, gawk: fflush() after print, python3 -u (or PYTHONUNBUFFERED=1), "
      "jq --unbuffered, grep --line-buffered, sed -u, or stdbuf -oL before a C program";
  if (answered == 0) {
    return fmt::format(
        "the SUT answered no line within request_timeout_s ({} s) of the first "
        "batch: {}",
        spec_.request_timeout_s, kBuffering);
  }
  return fmt::format(
      "the SUT answered no line within request_timeout_s ({} s) after {} texts: "
      "it stalls, or {}",
      spec_.request_timeout_s, answered, kBuffering);
}

StdinBatchDriver::StdinBatchDriver(TextBatchDriverSpec spec,
                                   std::shared_ptr<const TextCorpus> corpus)
    : spec_(std::move(spec)),
      corpus_(std::move(corpus)),
      plan_(spec_.batch_size, spec_.rate_per_s) {}

StdinBatchDriver::~StdinBatchDriver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void StdinBatchDriver::attach(const SutChannel& channel) {
  in_fd_ = channel.stdin_fd;
  out_fd_ = channel.stdout_fd;
  for (int fd : {in_fd_, out_fd_}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
}

void StdinBatchDriver::connect() {
  if (in_fd_ < 0 || out_fd_ < 0) throw RunError("the SUT was started without stdin/stdout pipes");
}

void StdinBatchDriver::start(Clock::time_point deadline) {
  deadline_ = deadline;
  plan_.start(Clock::now());
  thread_ = std::thread([this] { run(); });
}

void StdinBatchDriver::set_fatal(std::string what) {
  std::lock_guard lock(mutex_);
  if (!fatal_) fatal_ = std::move(what);
}

std::optional<std::string> StdinBatchDriver::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

StdinBatchDriver::Io StdinBatchDriver::write_all(const std::string& bytes, Clock::time_point until) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(in_fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EPIPE) {
      set_fatal("the SUT closed its stdin: it stopped reading texts");
      return Io::failed;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      set_fatal(std::string("writing to the SUT's stdin failed: ") + std::strerror(errno));
      return Io::failed;
    }
    if (stop_.load()) return Io::stopped;
    if (Clock::now() >= until) {
      set_fatal(fmt::format("the SUT did not read its stdin within request_timeout_s ({} s)",
                            spec_.request_timeout_s));
      return Io::failed;
    }
    pollfd p{in_fd_, POLLOUT, 0};
    ::poll(&p, 1, ms_until(until));
  }
  return Io::done;
}

StdinBatchDriver::Io StdinBatchDriver::read_lines(std::size_t lines, Clock::time_point until,
                                  std::size_t answered_before) {
  std::size_t seen = 0;
  char buf[65536];
  while (true) {
    // Count complete lines already buffered.
    std::size_t start = 0;
    for (std::size_t eol; seen < lines && (eol = pending_.find('\n', start)) != std::string::npos;
         start = eol + 1) {
      ++seen;
    }
    pending_.erase(0, start);
    if (seen == lines) return Io::done;
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      set_fatal(fmt::format("the SUT closed its stdout after answering {} texts",
                            answered_before + seen));
      return Io::failed;
    }
    if (errno != EAGAIN && errno != EINTR) {
      set_fatal(std::string("reading the SUT's stdout failed: ") + std::strerror(errno));
      return Io::failed;
    }
    if (Clock::now() >= until) {
      set_fatal(no_answer_message(answered_before + seen));
      return Io::failed;
    }
    if (stop_.load()) return Io::stopped;
    pollfd p{out_fd_, POLLIN, 0};
    ::poll(&p, 1, ms_until(until));
  }
}

void StdinBatchDriver::run() {
  interrupt::block_in_this_thread();
  const auto timeout = std::chrono::microseconds(static_cast<long long>(spec_.request_timeout_s * 1e6));
  std::size_t answered = 0;
  std::string lines;
  while (!stop_.load() && Clock::now() < deadline_) {
    const auto batch = plan_.next();
    if (!batch) break;
    while (batch->intended > Clock::now() && !stop_.load()) {
      std::this_thread::sleep_for(std::min<Clock::duration>(batch->intended - Clock::now(),
                                                            std::chrono::milliseconds(10)));
    }
    lines.clear();
    for (std::size_t k = 0; k < batch->count; ++k) {
      lines += corpus_->text(batch->first_text + k);
      lines += '\n';
    }
    const auto until = Clock::now() + timeout;
    Io io = write_all(lines, until);
    if (io == Io::done) io = read_lines(batch->count, until, answered);
    if (io == Io::stopped) break;  // the load ended mid-batch: the batch counts neither way
    if (io == Io::failed) {
      plan_.failed(*batch, "broken pipe");
      break;  // the protocol is out of step: nothing more can be sent
    }
    plan_.completed(*batch, Clock::now());
    answered += batch->count;
  }
}

DriverReport StdinBatchDriver::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  DriverReport r = plan_.report(1);
  r.details["transport"] = "stdin";
  std::lock_guard lock(mutex_);
  if (fatal_) r.problems.push_back(*fatal_);
  return r;
}

}  // namespace memgate
