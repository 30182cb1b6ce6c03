#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memgate {

// One memory sample of the SUT's process tree: time since the run started (ms) and the tree's
// memory (bytes; RSS or PSS as the scenario's watch.memory says), and of it the anonymous part
// (heap, stacks; the rest is file-backed or shared: code, mapped files). Series of other figures
// (a queue's length, Redis's own memory) use `bytes` for their value and leave anon_bytes 0.
struct Sample {
  double t_ms = 0;
  std::int64_t bytes = 0;
  std::int64_t anon_bytes = 0;
};

using Series = std::vector<Sample>;

// A named phase of a run (idle, warmup, load, cooldown), in ms since the run started.
struct PhaseSpan {
  std::string name;
  double start_ms = 0;
  double end_ms = 0;
};

// The samples whose time lies in [start_ms, end_ms].
Series slice(const Series& series, double start_ms, double end_ms);

}  // namespace memgate
