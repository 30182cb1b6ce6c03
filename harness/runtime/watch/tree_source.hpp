#pragma once

// The seam between the watcher and the operating system: what one look at a process tree (the
// SUT's, or a service's) yields. The real source reads /proc; tests replay recorded readings
// through a fake.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memgate {

struct ProcessMemory {
  int pid = 0;
  std::int64_t bytes = 0;                 // RSS or PSS, as the source was asked
  std::int64_t anon_bytes = 0;            // the anonymous part of bytes (heap, stacks)
  // with_hwm: the peak of bytes since the previous with_hwm read (over the process's life when
  // high-water marks are not reset); see ProcTreeSource for what it means in pss mode.
  std::optional<std::int64_t> hwm_bytes;
  // The process's name and command line, when first seen or changed (an exec); empty otherwise.
  std::string name;
  std::string command_line;
};

// A process of the tree that memgate reaped, with its peak RSS (rusage).
struct ExitPeak {
  int pid = 0;
  std::int64_t bytes = 0;
};

struct TreeSnapshot {
  std::vector<ProcessMemory> processes;  // the tree now, found afresh (root first when alive)
  // with_hwm: every process's high-water mark was read and reset; the sum over the processes is
  // then an upper bound of the tree's peak since the previous with_hwm read.
  bool hwm_complete = false;
  // Processes of the tree that memgate reaped since the previous read, including ones that lived
  // and died between two reads.
  std::vector<ExitPeak> exits;
};

class TreeSource {
 public:
  virtual ~TreeSource() = default;
  virtual TreeSnapshot read(bool with_hwm) = 0;
};

}  // namespace memgate
