#pragma once

// What one run of a scenario produced: its samples, phases, metrics and whether it is valid.
// Memory in bytes, times in ms since the run started, rates per second.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/series.hpp"

namespace memgate {

// A role for people: "the SUT", "the service 'redis'", "the load command".
inline std::string who(const std::string& role) {
  if (role == "sut") return "the SUT";
  if (role == "load") return "the load command";
  return "the service '" + role + "'";
}

struct LatencySummary {
  double p50_ms = 0;
  std::optional<double> p95_ms;  // absent when the load generator does not say (wrk)
  double p99_ms = 0;
  std::optional<double> max_ms;  // absent when the load generator does not say
  std::int64_t count = 0;
};

// Jobs waiting in a queue (the sum of the driver's queues), sampled through the run.
struct BacklogSummary {
  std::int64_t max = 0;       // from the load phase on
  std::int64_t final = 0;     // the last sample (end of the cool-down)
  double growth_per_min = 0;  // Theil-Sen slope over the load phase, jobs per minute
};

struct RunMetrics {
  std::optional<std::int64_t> idle_bytes;
  std::optional<std::int64_t> peak_bytes;
  std::optional<std::int64_t> plateau_bytes;
  std::optional<std::int64_t> residual_bytes;
  std::optional<std::int64_t> retained_bytes;
  std::optional<std::int64_t> peak_anon_bytes;  // anonymous memory (heap, stacks): highest sample
  std::optional<std::int64_t> plateau_anon_bytes;  // and median over the load phase
  // The highest own peak of one process of the tree: a leak in one child of a pool, undiluted.
  std::optional<std::int64_t> max_process_peak_bytes;
  // The highest plateau of one process of the tree (each one's median over the load phase).
  std::optional<std::int64_t> max_process_plateau_bytes;
  std::optional<double> growth_bytes_per_min;
  std::optional<double> throughput_per_s;
  std::optional<LatencySummary> latency_ms;
  std::optional<BacklogSummary> backlog_jobs;
  // CPU time (user + system) of the SUT's tree in the load phase per completed operation, µs.
  std::optional<double> cpu_us_per_op;
  // The share of the machine's CPU that processes outside memgate, the SUT and its services
  // took in the load phase, steal time included, in % (see PhaseCpu).
  std::optional<double> contention_pct;
  std::int64_t ops = 0;
  std::int64_t errors = 0;
};

// How the peak was found (see the Watcher): each term, so a reader can tell a sampled peak from
// one only the kernel's high-water marks saw.
struct PeakDetail {
  std::int64_t max_sample_bytes = 0;
  std::int64_t hwm_peak_bytes = 0;
  std::int64_t exit_peak_bytes = 0;
  std::optional<std::int64_t> cgroup_peak_bytes;  // where memgate could create a memory cgroup
  bool hwm_complete = true;
};

// Where the machine's CPU went in one phase: to the SUT's tree, the services', memgate's own
// (all its threads), and to everybody else (a neighbour: the contention). CPU times in ms; shares
// in % of the machine's capacity over the phase (its length x its CPUs).
struct PhaseCpu {
  std::string phase;
  double elapsed_ms = 0;
  int cpus = 1;
  double sut_ms = 0;
  double services_ms = 0;
  double load_ms = 0;  // the load command's processes
  double memgate_ms = 0;
  double others_pct = 0;  // busy CPU of the machine nobody of the run used
  double steal_pct = 0;   // time the hypervisor gave other guests
};

// The memory of one role's process tree: a service's (the SUT's is the run's own figures).
struct RoleMemory {
  std::string role;    // the service's name, or "load"
  bool gated = false;  // its metrics are gated (services.NAME.<metric>)
  Series samples;
  PeakDetail peak;
  RunMetrics metrics;  // memory metrics only
  int max_processes = 0;
  std::optional<std::string> exit;  // how its root process ended, when before memgate stopped it
  nlohmann::json figures = nlohmann::json::object();  // its own figures (Redis INFO memory)
};

// One process of a watched tree over its life in the run.
struct ProcessRecord {
  int pid = 0;
  std::string role;          // "sut" or a service's name
  std::string name;          // comm
  std::string command_line;  // argv joined by spaces (cut at 300 bytes)
  double start_ms = 0;       // first seen
  double end_ms = 0;         // last seen
  std::int64_t peak_bytes = 0;   // highest of its samples, high-water marks and rusage peak
  std::int64_t final_bytes = 0;  // its last sample
  // The median of its samples in the load phase; none when no sample of it fell in the phase.
  std::optional<std::int64_t> plateau_bytes = std::nullopt;
};

struct RunRecord {
  int index = 0;  // 1-based repetition number
  std::optional<double> sweep_value;  // in a sweep: the value of the swept key for this run
  RunMetrics metrics;  // the SUT's
  std::vector<PhaseSpan> phases;
  Series samples;  // the SUT's tree
  PeakDetail peak;
  std::vector<RoleMemory> services;
  std::optional<RoleMemory> load;  // a load command's processes (role "load"), never gated
  std::vector<ProcessRecord> processes;
  std::vector<PhaseCpu> cpu;  // per phase, in order
  int interval_ms = 0;
  std::string memory_kind = "rss";
  bool exact_peak = true;  // watch.exact_peak: high-water marks were reset every window
  int max_processes = 0;
  std::int64_t late_ticks = 0;
  bool valid = true;
  std::vector<std::string> problems;  // why the run is not valid
  std::vector<std::string> warnings;  // what makes the numbers doubtful
  std::optional<std::string> sut_exit;  // how the SUT's root process ended, when it did
  // A command that ended by itself (not stopped by memgate): its status as a shell gives it,
  // the exit code or 128 + the number of the signal that killed it.
  std::optional<int> sut_exit_status;
  // The last lines of the process to blame for an invalid run (of the SUT's, for a command),
  // and its role.
  std::vector<std::string> log_tail;
  std::string log_tail_role = "sut";
  nlohmann::json driver = nlohmann::json::object();  // driver-specific figures
  nlohmann::json sut_figures = nlohmann::json::object();  // the SUT's own figures (Redis INFO)

  void invalidate(std::string why) {
    valid = false;
    problems.push_back(std::move(why));
  }
};

// In a sweep, the runs at its largest value stand for the scenario: its summary metrics, its
// gate's and its baseline's figures come from them (the other values feed the per-unit
// figures). Without a sweep, every run. True when `run` is one of them.
bool stands_for_scenario(const RunRecord& run, const std::vector<RunRecord>& runs);
// The largest sweep value among the runs; none without a sweep.
std::optional<double> largest_sweep_value(const std::vector<RunRecord>& runs);

}  // namespace memgate
