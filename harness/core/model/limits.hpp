#pragma once

// Limits on what a scenario makes memgate itself hold in memory, checked when the scenario loads
// (exit 2 naming the JSON path): a slip of the keyboard (three zeros too many) must end in a
// clear error, never in std::bad_alloc or the OOM killer halfway through a run.

#include <cstdint>

namespace memgate::limits {

// The texts a scenario generates (texts.generate), in bytes.
inline constexpr std::int64_t kMaxCorpusBytes = 256LL * 1024 * 1024;
// What the load holds at once: request bodies of every connection (batch_size x the longest
// text x concurrency), job batches of every producer (pipeline x a job's bytes x producers).
inline constexpr std::int64_t kMaxInFlightBytes = 256LL * 1024 * 1024;
// Memory samples of all the runs of a scenario (each run's phases / watch.interval_ms, times
// repeat and the sweep's values): 10 million is about six days of runs at 50 ms.
inline constexpr std::int64_t kMaxPlannedSamples = 10'000'000;

}  // namespace memgate::limits
