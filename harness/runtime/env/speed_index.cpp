#include "runtime/env/speed_index.hpp"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace memgate {

namespace {

// 1 MiB of uint32: beyond L1, within a core's L2 or the L3. A table beyond the last-level cache
// would add memory
// latency, but on a shared VM the last-level cache is shared with other guests, and such a
// workload's time varied from 15 to 35 ms round to round on an idle 2-core EPYC VM; this one
// varies by about 3%, a neighbour on the other core included.
constexpr std::size_t kSlots = 256 * 1024;
constexpr std::size_t kSteps = 4'000'000;

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// One cycle through every slot, in an order fixed by the seed (Sattolo's shuffle).
std::vector<std::uint32_t> make_cycle() {
  std::vector<std::uint32_t> next(kSlots);
  for (std::size_t i = 0; i < kSlots; ++i) next[i] = static_cast<std::uint32_t>(i);
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (std::size_t i = kSlots - 1; i > 0; --i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::swap(next[i], next[state % i]);
  }
  return next;
}

}  // namespace

double reference_workload_ms(int rounds) {
  const std::vector<std::uint32_t> next = make_cycle();
  double best = 0;
  volatile std::uint64_t sink = 0;
  for (int round = 0; round < std::max(1, rounds); ++round) {
    const double start = thread_cpu_ms();
    std::uint32_t at = 0;
    std::uint64_t h = 1469598103934665603ULL;
    for (std::size_t step = 0; step < kSteps; ++step) {
      at = next[at];
      h = (h ^ at) * 1099511628211ULL;  // FNV-1a over the path: CPU work between the misses
      h ^= h >> 31;
    }
    sink = sink + h;
    const double ms = thread_cpu_ms() - start;
    best = round == 0 ? ms : std::min(best, ms);
  }
  return best;
}

}  // namespace memgate
