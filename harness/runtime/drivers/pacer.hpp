#pragma once

// The schedule of an open-model load: operation k is due at start + k / rate. Latency is measured
// from that intended time, so a SUT that stalls pays for every operation that should have been
// sent meanwhile (no coordinated omission). rate_per_s <= 0 means a closed model: always due now.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

namespace memgate {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  Pacer(double rate_per_s, Clock::time_point start) : rate_per_s_(rate_per_s), start_(start) {}

  bool open() const { return rate_per_s_ > 0; }

  // When operation number `index` (0-based) is due.
  Clock::time_point due(std::int64_t index) const {
    if (!open()) return Clock::now();
    return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(
                        static_cast<double>(index) * 1e9 / rate_per_s_));
  }

  // Sleeps until `index` is due, in slices of at most 10 ms so that keep_going() (checked
  // between slices) can end the wait. Returns the due time, or nothing when keep_going() said no.
  template <typename KeepGoing>
  std::optional<Clock::time_point> wait_for(std::int64_t index, KeepGoing&& keep_going) const {
    const auto when = due(index);
    while (true) {
      if (!keep_going()) return std::nullopt;
      const auto now = Clock::now();
      if (now >= when) return when;
      std::this_thread::sleep_for(std::min<Clock::duration>(when - now, std::chrono::milliseconds(10)));
    }
  }

 private:
  double rate_per_s_;
  Clock::time_point start_;
};

}  // namespace memgate
