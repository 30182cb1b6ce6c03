#include "core/report/report.hpp"

#include <algorithm>
#include <cmath>

#include "core/stats/stats.hpp"

namespace memgate {

bool Report::all_valid() const {
  for (const auto& run : runs) {
    if (!run.valid) return false;
  }
  return !runs.empty();
}

namespace {

template <typename T, typename Get>
std::optional<T> median_of(const std::vector<const RunRecord*>& runs, Get&& get) {
  std::vector<double> values;
  for (const RunRecord* run : runs) {
    if (auto v = get(run->metrics)) values.push_back(static_cast<double>(*v));
  }
  const auto m = stats::median(std::move(values));
  if (!m) return std::nullopt;
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(std::llround(*m));
  } else {
    return *m;
  }
}

}  // namespace

RunMetrics summarize(const std::vector<RunRecord>& runs) {
  std::vector<const RunRecord*> chosen;
  for (const auto& run : runs) {
    if (run.valid && stands_for_scenario(run, runs)) chosen.push_back(&run);
  }
  if (chosen.empty()) {
    for (const auto& run : runs) {
      if (stands_for_scenario(run, runs)) chosen.push_back(&run);
    }
  }
  RunMetrics s;
  using I = std::int64_t;
  s.idle_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.idle_bytes; });
  s.peak_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.peak_bytes; });
  s.plateau_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.plateau_bytes; });
  s.residual_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.residual_bytes; });
  s.retained_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.retained_bytes; });
  s.peak_anon_bytes = median_of<I>(chosen, [](const RunMetrics& m) { return m.peak_anon_bytes; });
  s.plateau_anon_bytes =
      median_of<I>(chosen, [](const RunMetrics& m) { return m.plateau_anon_bytes; });
  s.growth_bytes_per_min =
      median_of<double>(chosen, [](const RunMetrics& m) { return m.growth_bytes_per_min; });
  s.throughput_per_s =
      median_of<double>(chosen, [](const RunMetrics& m) { return m.throughput_per_s; });
  s.cpu_us_per_op = median_of<double>(chosen, [](const RunMetrics& m) { return m.cpu_us_per_op; });
  // Contention: the worst run's (one disturbed run is enough to doubt the timing figures).
  for (const RunRecord* run : chosen) {
    if (run->metrics.contention_pct) {
      s.contention_pct = std::max(s.contention_pct.value_or(0), *run->metrics.contention_pct);
    }
  }
  s.ops = median_of<I>(chosen, [](const RunMetrics& m) { return std::optional<I>(m.ops); })
              .value_or(0);
  s.errors = median_of<I>(chosen, [](const RunMetrics& m) { return std::optional<I>(m.errors); })
                 .value_or(0);
  const auto latency = [&](auto LatencySummary::*field) {
    return median_of<double>(chosen, [&](const RunMetrics& m) -> std::optional<double> {
      if (!m.latency_ms) return std::nullopt;
      return (*m.latency_ms).*field;
    });
  };
  const auto backlog = [&](auto field) {
    return median_of<double>(chosen, [&](const RunMetrics& m) -> std::optional<double> {
      if (!m.backlog_jobs) return std::nullopt;
      return static_cast<double>((*m.backlog_jobs).*field);
    });
  };
  if (auto max = backlog(&BacklogSummary::max)) {
    BacklogSummary b;
    b.max = std::llround(*max);
    b.final = std::llround(backlog(&BacklogSummary::final).value_or(0));
    b.growth_per_min = backlog(&BacklogSummary::growth_per_min).value_or(0);
    s.backlog_jobs = b;
  }
  if (auto p50 = latency(&LatencySummary::p50_ms)) {
    LatencySummary l;
    l.p50_ms = *p50;
    l.p95_ms = latency(&LatencySummary::p95_ms);
    l.p99_ms = latency(&LatencySummary::p99_ms).value_or(0);
    l.max_ms = latency(&LatencySummary::max_ms);
    l.count = median_of<I>(chosen, [](const RunMetrics& m) -> std::optional<I> {
                if (!m.latency_ms) return std::nullopt;
                return m.latency_ms->count;
              }).value_or(0);
    s.latency_ms = l;
  }
  return s;
}

std::optional<double> metric_value(const RunMetrics& m, const std::string& name) {
  const auto as_double = [](const auto& v) -> std::optional<double> {
    if (!v) return std::nullopt;
    return static_cast<double>(*v);
  };
  if (name == "idle_bytes") return as_double(m.idle_bytes);
  if (name == "peak_bytes") return as_double(m.peak_bytes);
  if (name == "plateau_bytes") return as_double(m.plateau_bytes);
  if (name == "residual_bytes") return as_double(m.residual_bytes);
  if (name == "retained_bytes") return as_double(m.retained_bytes);
  if (name == "peak_anon_bytes") return as_double(m.peak_anon_bytes);
  if (name == "plateau_anon_bytes") return as_double(m.plateau_anon_bytes);
  if (name == "growth_bytes_per_min") return m.growth_bytes_per_min;
  if (name == "throughput_per_s") return m.throughput_per_s;
  if (name == "cpu_us_per_op") return m.cpu_us_per_op;
  if (m.latency_ms) {
    if (name == "latency_p50_ms") return m.latency_ms->p50_ms;
    if (name == "latency_p95_ms") return m.latency_ms->p95_ms;
    if (name == "latency_p99_ms") return m.latency_ms->p99_ms;
  }
  return std::nullopt;
}

}  // namespace memgate
