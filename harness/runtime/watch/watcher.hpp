#pragma once

// The sampling thread. Every interval it reads each watched tree (the SUT's, each service's;
// one TreeSource per role) and records [t_ms, bytes, anon_bytes] per role; every hwm_window_ms it
// also reads the kernel's high-water marks, so a spike shorter than the interval still counts in
// a role's peak:
//   peak = max(highest sample,
//              highest window term: the sum of the live processes' high-water marks plus the
//                rusage peaks of the processes memgate reaped in that window,
//              highest rusage peak of one reaped process).
// A process reaped in a window is added to what the rest of the tree held in it, so children
// that live and die between two reads count together. For one process the high-water term is
// exact; for a tree it can exceed the true simultaneous peak only by memory that processes trade
// within one window, or by older peaks a reaped process's rusage also holds (of children it
// reaped itself, of an image before an exec: no reset lowers them). In pss mode the marks are
// PSS high-water marks (see ProcTreeSource); a reaped process counts with its rusage peak, RSS.
// Without exact_peak (nothing reset: each mark is a process's peak over its life) the window
// term is the highest mark of one process: exact for one process, a lower bound for a tree.
// With the kernel's exit records (set_exit_records: taskstats, root only) every process that
// exits counts with its own peak (not wait4's, which also holds its reaped children's and the
// image's before an exec), also the grandchildren the SUT reaps itself, and a window term sums
// only what can have been alive at one time: the most at once over the processes' lifetimes
// (exited ones from their records, live ones from when they started), so processes that ran one
// after another are never added together.
// It also keeps a record per process (role, name, command line, first and last seen, peak,
// final) and that process's own samples: which process grew.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/model/run_record.hpp"
#include "core/model/series.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/watch/task_exits.hpp"
#include "runtime/watch/tree_source.hpp"

namespace memgate {

// A process's life in a window and the most memory it held in it.
struct Lifetime {
  double start_ms = 0;
  double end_ms = 0;
  std::int64_t bytes = 0;
};

// The most memory that can have been held at one time: the highest sum over the lifetimes that
// share a moment (touching ones count as sharing it).
std::int64_t most_at_once(const std::vector<Lifetime>& lifetimes);

// A process's own series holds fewer samples than this (24 bytes each): 16,384 is 13.7 min at
// 50 ms in full, and any longer run evenly thinned.
constexpr std::size_t kMaxProcessSamples = 16'384;

struct WatchOptions {
  int interval_ms = 50;
  MemoryKind memory = MemoryKind::rss;
  // High-water marks (7 µs a process) are read at most this often, and at stop. A spike is
  // caught whatever the window; a shorter window tightens the bound a tree's sum gives.
  int hwm_window_ms = 100;
  // The sources were told to reset high-water marks every window (WatchSpec::exact_peak): the
  // window terms are sums of marks; otherwise each mark is a lifetime peak and only the highest
  // one counts.
  bool exact_peak = true;
  std::size_t max_process_samples = kMaxProcessSamples;  // see kMaxProcessSamples
};

// What the watcher saw of one role's tree.
struct RoleWatch {
  std::string role;
  Series samples;
  std::int64_t max_sample_bytes = 0;
  std::int64_t hwm_peak_bytes = 0;   // highest window term (0: none read), see the class comment
  std::int64_t exit_peak_bytes = 0;  // highest peak of one member that exited (record, or rusage)
  std::int64_t peak_bytes = 0;       // see the class comment
  std::int64_t max_process_peak_bytes = 0;  // the highest peak of one of its processes' rows
  bool hwm_complete = true;          // every window's high-water marks could be read and reset
  int max_processes = 0;
  std::optional<double> lost_at_ms;  // time of the first sample that found no process at all
};

struct WatchResult {
  std::vector<RoleWatch> roles;          // in the order the sources were given
  std::vector<ProcessRecord> processes;  // every process seen, in order of first sight
  // processes[i]'s own samples (its bytes and anonymous bytes at the reads that saw it: every
  // one, or evenly thinned to fewer than kMaxProcessSamples over a long run).
  std::vector<Series> process_samples;
  std::int64_t late_ticks = 0;  // ticks skipped because a read overran the interval
  double thread_cpu_ms = 0;     // CPU time the sampling thread used (memgate's overhead)
  // Why the kernel's exit records were not used, or that some were lost; empty when every exit
  // came with its own record (or nobody asked for them: a fake tree).
  std::string exit_records_problem;

  const RoleWatch& front() const { return roles.front(); }
  const RoleWatch* role(const std::string& name) const;
};

// What a run needs of a watcher (the session's seam; Watcher is the real one).
class MemoryWatch {
 public:
  virtual ~MemoryWatch() = default;
  virtual void start() = 0;
  virtual WatchResult stop() = 0;
  virtual std::int64_t last_bytes() const = 0;  // the SUT's latest sample
};

// One tree to watch. A role without a source yet (the load command's, started per phase) gets
// its trees through add_source; a role with several sums them.
struct WatchedTree {
  std::string role;
  std::unique_ptr<TreeSource> source;  // may be null
};

class Watcher : public MemoryWatch {
 public:
  using Clock = std::chrono::steady_clock;
  // t0: the run's time origin; samples are in ms since t0. trees: at least one.
  Watcher(std::vector<WatchedTree> trees, WatchOptions options, Clock::time_point t0);
  // One tree, role "sut".
  Watcher(std::unique_ptr<TreeSource> source, WatchOptions options, Clock::time_point t0);
  ~Watcher() override;  // stops the thread if still running

  void start() override;        // takes the first sample before returning
  WatchResult stop() override;  // takes a last sample (with high-water marks) and joins

  // Watches one more tree under role (one of the trees given at construction), from the next
  // sample on. Thread-safe.
  void add_source(const std::string& role, std::unique_ptr<TreeSource> source);
  // Uses the kernel's exit records (see the class comment), or says why there are none (null);
  // before start().
  void set_exit_records(std::unique_ptr<ExitRecords> records, std::string why_none = "");

  // Number of samples so far; wait_for_samples blocks until there are at least n (or timeout).
  std::size_t sample_count() const;
  bool wait_for_samples(std::size_t n, double timeout_ms) const;
  std::int64_t last_bytes() const override;  // the first tree's latest sample
  int last_process_count() const;   // the first tree's

 private:
  void run();
  void take_sample(bool with_hwm);
  std::vector<TreeSnapshot> read_trees(bool with_hwm);
  void count_exits(std::size_t role, const TreeSnapshot& snapshot,
                   const std::vector<TaskExit>& records, bool with_hwm, double t_ms);
  std::int64_t window_term(std::size_t role, const TreeSnapshot& snapshot, std::int64_t hwm_sum,
                           std::int64_t hwm_max, double t_ms) const;
  std::size_t add_record(ProcessRecord record);  // a new row (and its samples); its index
  void keep_process_sample(std::size_t row, const Sample& sample);
  void note_process(const std::string& role, const ProcessMemory& p, double t_ms);
  void note_exit(const std::string& role, const ExitPeak& exit, double t_ms);
  // With exit records: the records of processes of the trees, by role; the others wait a while
  // for their parent to be known.
  std::vector<std::vector<TaskExit>> resolve_exit_records(double t_ms);
  void note_record(const std::string& role, const TaskExit& exit, double end_ms);
  double ms_since_t0(Clock::time_point t) const {
    return std::chrono::duration<double, std::milli>(t - t0_).count();
  }

  std::vector<std::string> roles_;  // in the order given
  // Per role, its trees. Read by one thread at a time (the sampling thread, or start()/stop()'s
  // caller while it does not run), under sources_mutex_, which add_source takes too.
  std::mutex sources_mutex_;
  std::vector<std::vector<std::unique_ptr<TreeSource>>> sources_;
  WatchOptions options_;
  Clock::time_point t0_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  WatchResult result_;
  std::unordered_map<int, std::size_t> live_;  // pid -> its record, while it is in a tree
  // Per role: the rusage peaks of the processes reaped since the last high-water read.
  std::vector<std::int64_t> reaped_in_window_bytes_;
  // With exit records (null: none).
  std::unique_ptr<ExitRecords> exit_records_;
  std::string no_exit_records_;                   // why there are none
  std::vector<TaskExit> unresolved_;              // records of processes not known yet
  std::unordered_map<int, std::size_t> role_of_;  // pid -> role, of every process of the trees
  std::unordered_map<int, double> started_ms_;    // pid -> when it started (ms since t0)
  std::unordered_set<int> exited_by_record_;      // their reaper exits are not counted again
  // Per role: the lifetimes and own peaks of what exited since the last high-water read, and of
  // what exited after being read in the last one (its record belongs to the next window).
  std::vector<std::vector<Lifetime>> exited_in_window_, exited_next_window_;
  double window_start_ms_ = 0;  // the last high-water read
  std::uint64_t tick_ = 0;
  // Per process row: every how many of its reads a sample is kept, and its reads so far.
  std::vector<std::uint64_t> process_stride_, process_reads_;
  std::unordered_map<int, std::uint64_t> seen_tick_;
  int last_processes_ = 0;
  Clock::time_point next_hwm_;
  std::thread thread_;
};

}  // namespace memgate
