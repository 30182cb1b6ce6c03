#pragma once

// The memory metrics of DESIGN.md computed from a run's samples and phases. Pure functions.
// Phases are looked up by name: "idle", "warmup", "load", "cooldown". A metric whose phase is
// missing or holds no sample stays empty (std::nullopt).

#include <cstdint>
#include <optional>
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

}  // namespace memgate
