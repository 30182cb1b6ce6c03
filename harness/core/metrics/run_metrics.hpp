#pragma once

// The memory metrics (docs/metrics.md) computed from a run's samples and phases. Pure functions.
// Phases are looked up by name: "idle", "warmup", "load", "cooldown". A metric whose phase is
// missing or holds no sample stays empty (std::nullopt).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/run_record.hpp"
#include "core/model/series.hpp"

namespace memgate {

const PhaseSpan* find_phase(const std::vector<PhaseSpan>& phases, const char* name);

// Median memory of the idle phase (SUT ready, no load). With an empty idle phase, the last
// sample at or before the load started.
std::optional<std::int64_t> idle_bytes(const Series& samples, const std::vector<PhaseSpan>& phases);

// Median memory over the load phase (the warm-up is a phase of its own, before it).
std::optional<std::int64_t> plateau_bytes(const Series& samples,
                                          const std::vector<PhaseSpan>& phases);

// The anonymous part of the tree's memory (heap, stacks): its highest sample over the whole run
// (no kernel high-water mark tells the kinds apart), and its median over the load phase. Empty
// when no sample (of the load phase, for the plateau) carries any: the kinds were not read.
std::optional<std::int64_t> peak_anon_bytes(const Series& samples);
std::optional<std::int64_t> plateau_anon_bytes(const Series& samples,
                                               const std::vector<PhaseSpan>& phases);

// Each process's plateau: the median of its own samples in the load phase (process_samples[i]
// is processes[i]'s: one series per row, none at all, or std::logic_error), into its row; none for
// a process whose samples span less than half of the load phase (a short child's few samples are no
// level it held).
void set_process_plateaus(std::vector<ProcessRecord>& processes,
                          const std::vector<Series>& process_samples,
                          const std::vector<PhaseSpan>& phases);

// The highest plateau of one process of `role` (a leak in one child of a pool, not diluted by
// the others); empty when none of them has one.
std::optional<std::int64_t> max_process_plateau_bytes(const std::vector<ProcessRecord>& processes,
                                                      const std::string& role);

// Theil–Sen slope of memory over the load phase, in bytes per minute. Empty with fewer than two
// samples at distinct times.
std::optional<double> growth_bytes_per_min(const Series& samples,
                                           const std::vector<PhaseSpan>& phases);

// Median memory over the last `tail_fraction` of the cool-down phase (default: its second half),
// when memory has settled after the load.
std::optional<std::int64_t> residual_bytes(const Series& samples,
                                           const std::vector<PhaseSpan>& phases,
                                           double tail_fraction = 0.5);

// ops per second of the load phase; empty when the load phase lasted no time.
std::optional<double> throughput_per_s(std::int64_t ops, const std::vector<PhaseSpan>& phases);

// The backlog of a queue from its sampled lengths ([t_ms, jobs]); empty without samples from the
// load phase on.
std::optional<BacklogSummary> backlog_summary(const Series& lengths,
                                              const std::vector<PhaseSpan>& phases);

// All of the above plus retained = residual - idle, and the given peak, ops, errors, latency.
// ops is empty for drivers without operations (command): no throughput then.
RunMetrics compute_run_metrics(const Series& samples, const std::vector<PhaseSpan>& phases,
                               std::int64_t peak_bytes, std::optional<std::int64_t> ops,
                               std::int64_t errors, std::optional<LatencySummary> latency);

// A one-shot command (driver `command`, memgate watch) has no idle or cool-down phase and its
// load phase is its whole life: start-up, work and exit. Of its memory metrics only those that
// mean something are reported:
// - peak_bytes always;
// - peak_anon_bytes always, plateau_anon_bytes as plateau_bytes;
// - plateau_bytes only when a warm-up phase cuts the start-up off (phases.warmup_s,
//   watch --warmup-s): otherwise the median of its life mixes the start-up's ramp, the work and
//   the exit, and is no plateau;
// - growth_bytes_per_min only after such a warm-up, over at least kOneShotGrowthMinSamples
//   samples: over fewer, the slope is that of a few points (a program that allocates once read
//   as gigabytes per minute);
// - no idle, residual or retained memory (no phase to measure them in).
// An omitted metric is absent (std::nullopt), as every unmeasured metric is.
constexpr std::size_t kOneShotGrowthMinSamples = 20;
// Whether a one-shot command's plateau is measured: a warm-up cut its start-up off.
bool one_shot_has_plateau(const std::vector<PhaseSpan>& phases);
RunMetrics compute_one_shot_metrics(const Series& samples, const std::vector<PhaseSpan>& phases,
                                    std::int64_t peak_bytes);

}  // namespace memgate
