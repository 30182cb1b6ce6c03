#include "runtime/drivers/reply_loop.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

namespace memgate {

namespace {

// Stop, limits and the deadline are checked at least this often.
constexpr auto kMaxWait = std::chrono::milliseconds(10);

}  // namespace

void ReplyLoop::Round::await(int fd, std::size_t tag) {
  fds_.push_back({fd, POLLIN, 0});
  tags_.push_back(tag);
}

ReplyLoop::Result ReplyLoop::run(const Hooks& hooks, Clock::duration drain_timeout) {
  Round round;
  std::optional<Clock::time_point> drain_until;
  while (true) {
    round.now = Clock::now();
    round.going = hooks.going();
    if (!round.going && !drain_until) drain_until = round.now + drain_timeout;
    round.wake = round.now + kMaxWait;
    round.fds_.clear();
    round.tags_.clear();
    if (!hooks.fill(round)) return {End::done};
    if (drain_until && round.now >= *drain_until) return {End::stalled};
    const auto wait_ns = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(round.wake - Clock::now()).count());
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    if (::ppoll(round.fds_.data(), round.fds_.size(), &timeout, nullptr) < 0 && errno != EINTR) {
      return {End::poll_failed, errno};
    }
    for (std::size_t i = 0; i < round.fds_.size(); ++i) {
      if (round.fds_[i].revents == 0) continue;
      if (!hooks.read(round.tags_[i])) break;
    }
    if (hooks.give_up() && !drain_until) drain_until = Clock::now();
  }
}

}  // namespace memgate
