#include "core/model/metrics.hpp"

#include <fmt/format.h>

#include "core/model/units.hpp"

namespace memgate {

const std::vector<MetricInfo>& gated_metrics() {
  static const std::vector<MetricInfo> kMetrics = {
      {"idle_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"peak_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"plateau_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"residual_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"retained_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"growth_bytes_per_min", Direction::lower_is_better, "max_increase_pct", "max_bytes_per_min",
       true},
      {"throughput_per_s", Direction::higher_is_better, "max_decrease_pct", "min_decrease_per_s",
       false},
      {"latency_p50_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
      {"latency_p95_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
      {"latency_p99_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
  };
  return kMetrics;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const auto& m : gated_metrics()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> gated_metric_names() {
  std::vector<std::string> names;
  for (const auto& m : gated_metrics()) names.push_back(m.name);
  return names;
}

std::string format_metric(std::string_view metric, double value) {
  if (metric == "growth_bytes_per_min") return format_bytes(value) + "/min";
  if (metric == "throughput_per_s") return fmt::format("{:.1f}/s", value);
  const MetricInfo* info = find_metric(metric);
  if (info && info->is_bytes) return format_bytes(value);
  return fmt::format("{:.3f} ms", value);
}

}  // namespace memgate
