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
  for (const MetricInfo& row : metric_table()) {
    if (row.summary_is_max) {
      // The worst run's (one disturbed run is enough to doubt the timing figures).
      std::optional<double> worst;
      for (const RunRecord* run : chosen) {
        if (const auto v = row.get(run->metrics)) worst = std::max(worst.value_or(*v), *v);
      }
      if (worst) row.set(s, *worst);
      continue;
    }
    const auto median = median_of<double>(chosen, row.get);
    if (!median) continue;
    row.set(s, row.unit == Unit::bytes ? static_cast<double>(std::llround(*median)) : *median);
  }
  s.ops = median_of<I>(chosen, [](const RunMetrics& m) { return std::optional<I>(m.ops); })
              .value_or(0);
  s.errors = median_of<I>(chosen, [](const RunMetrics& m) { return std::optional<I>(m.errors); })
                 .value_or(0);
  // What the latency object holds besides its percentiles (the table's rows).
  if (s.latency_ms) {
    s.latency_ms->max_ms = median_of<double>(chosen, [](const RunMetrics& m) {
      return m.latency_ms ? m.latency_ms->max_ms : std::nullopt;
    });
    s.latency_ms->count = median_of<I>(chosen, [](const RunMetrics& m) -> std::optional<I> {
                            if (!m.latency_ms) return std::nullopt;
                            return m.latency_ms->count;
                          }).value_or(0);
  }
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
  return s;
}

}  // namespace memgate
