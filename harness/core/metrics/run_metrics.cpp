#include "core/metrics/run_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/stats/stats.hpp"

namespace memgate {

namespace {

std::optional<std::int64_t> median_bytes(const Series& samples,
                                         std::int64_t Sample::*field = &Sample::bytes) {
  std::vector<double> values;
  values.reserve(samples.size());
  for (const Sample& s : samples) values.push_back(static_cast<double>(s.*field));
  const auto m = stats::median(std::move(values));
  if (!m) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(*m));
}

}  // namespace

const PhaseSpan* find_phase(const std::vector<PhaseSpan>& phases, const char* name) {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<std::int64_t> idle_bytes(const Series& samples,
                                       const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* idle = find_phase(phases, "idle");
  if (!idle) return std::nullopt;
  if (auto m = median_bytes(slice(samples, idle->start_ms, idle->end_ms))) return m;
  const Sample* last = nullptr;
  for (const Sample& s : samples) {
    if (s.t_ms <= idle->end_ms) last = &s;
  }
  if (!last) return std::nullopt;
  return last->bytes;
}

std::optional<std::int64_t> plateau_bytes(const Series& samples,
                                          const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load) return std::nullopt;
  return median_bytes(slice(samples, load->start_ms, load->end_ms));
}

std::optional<std::int64_t> peak_anon_bytes(const Series& samples) {
  std::int64_t peak = 0;
  for (const Sample& s : samples) peak = std::max(peak, s.anon_bytes);
  if (peak == 0) return std::nullopt;  // a live process always has some: the kinds were not read
  return peak;
}

std::optional<std::int64_t> plateau_anon_bytes(const Series& samples,
                                               const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load) return std::nullopt;
  const Series in_load = slice(samples, load->start_ms, load->end_ms);
  if (!peak_anon_bytes(in_load)) return std::nullopt;
  return median_bytes(in_load, &Sample::anon_bytes);
}

void set_process_plateaus(std::vector<ProcessRecord>& processes,
                          const std::vector<Series>& process_samples,
                          const std::vector<PhaseSpan>& phases) {
  if (process_samples.empty()) return;  // nobody kept them (a fake watcher)
  if (process_samples.size() != processes.size()) {
    throw std::logic_error("set_process_plateaus: a series per process row");
  }
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load) return;
  const double half_ms = (load->end_ms - load->start_ms) / 2;
  for (std::size_t i = 0; i < processes.size(); ++i) {
    const Series in_load = slice(process_samples[i], load->start_ms, load->end_ms);
    // A process seen for less than half of the load phase has no plateau: a few samples of a
    // short child are its moment, not a level it held.
    if (in_load.empty() || in_load.back().t_ms - in_load.front().t_ms < half_ms) continue;
    processes[i].plateau_bytes = plateau_bytes(in_load, phases);
  }
}

std::optional<std::int64_t> max_process_plateau_bytes(const std::vector<ProcessRecord>& processes,
                                                      const std::string& role) {
  std::optional<std::int64_t> most;
  for (const ProcessRecord& p : processes) {
    if (p.role == role && p.plateau_bytes) most = std::max(most.value_or(0), *p.plateau_bytes);
  }
  return most;
}

std::optional<double> growth_bytes_per_min(const Series& samples,
                                           const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load) return std::nullopt;
  std::vector<double> minutes, bytes;
  for (const Sample& s : slice(samples, load->start_ms, load->end_ms)) {
    minutes.push_back(s.t_ms / 60'000.0);
    bytes.push_back(static_cast<double>(s.bytes));
  }
  return stats::theil_sen_slope(minutes, bytes);
}

std::optional<std::int64_t> residual_bytes(const Series& samples,
                                           const std::vector<PhaseSpan>& phases,
                                           double tail_fraction) {
  const PhaseSpan* cool = find_phase(phases, "cooldown");
  if (!cool) return std::nullopt;
  const double start = cool->end_ms - (cool->end_ms - cool->start_ms) * tail_fraction;
  return median_bytes(slice(samples, start, cool->end_ms));
}

std::optional<double> throughput_per_s(std::int64_t ops, const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load || load->end_ms <= load->start_ms) return std::nullopt;
  return static_cast<double>(ops) / ((load->end_ms - load->start_ms) / 1000.0);
}

std::optional<BacklogSummary> backlog_summary(const Series& lengths,
                                              const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* load = find_phase(phases, "load");
  if (!load) return std::nullopt;
  BacklogSummary b;
  bool any = false;
  for (const Sample& s : lengths) {
    if (s.t_ms < load->start_ms) continue;
    any = true;
    b.max = std::max(b.max, s.bytes);
    b.final = s.bytes;
  }
  if (!any) return std::nullopt;
  std::vector<double> minutes, jobs;
  for (const Sample& s : slice(lengths, load->start_ms, load->end_ms)) {
    minutes.push_back(s.t_ms / 60'000.0);
    jobs.push_back(static_cast<double>(s.bytes));
  }
  b.growth_per_min = stats::theil_sen_slope(minutes, jobs).value_or(0);
  return b;
}

RunMetrics compute_run_metrics(const Series& samples, const std::vector<PhaseSpan>& phases,
                               std::int64_t peak_bytes, std::optional<std::int64_t> ops,
                               std::int64_t errors, std::optional<LatencySummary> latency) {
  RunMetrics m;
  m.idle_bytes = idle_bytes(samples, phases);
  m.peak_bytes = peak_bytes;
  m.plateau_bytes = plateau_bytes(samples, phases);
  m.peak_anon_bytes = peak_anon_bytes(samples);
  m.plateau_anon_bytes = plateau_anon_bytes(samples, phases);
  m.growth_bytes_per_min = growth_bytes_per_min(samples, phases);
  m.residual_bytes = residual_bytes(samples, phases);
  if (m.idle_bytes && m.residual_bytes) m.retained_bytes = *m.residual_bytes - *m.idle_bytes;
  if (ops) m.throughput_per_s = throughput_per_s(*ops, phases);
  m.ops = ops.value_or(0);
  m.errors = errors;
  m.latency_ms = latency;
  return m;
}

bool one_shot_has_plateau(const std::vector<PhaseSpan>& phases) {
  const PhaseSpan* warmup = find_phase(phases, "warmup");
  return warmup && warmup->end_ms > warmup->start_ms && find_phase(phases, "load");
}

RunMetrics compute_one_shot_metrics(const Series& samples, const std::vector<PhaseSpan>& phases,
                                    std::int64_t peak_bytes) {
  RunMetrics m = compute_run_metrics(samples, phases, peak_bytes, std::nullopt, 0, std::nullopt);
  const PhaseSpan* load = find_phase(phases, "load");
  if (!one_shot_has_plateau(phases)) {
    m.plateau_bytes.reset();
    m.plateau_anon_bytes.reset();
    m.growth_bytes_per_min.reset();
  } else if (slice(samples, load->start_ms, load->end_ms).size() < kOneShotGrowthMinSamples) {
    m.growth_bytes_per_min.reset();
  }
  m.idle_bytes.reset();
  m.residual_bytes.reset();
  m.retained_bytes.reset();
  return m;
}

}  // namespace memgate
