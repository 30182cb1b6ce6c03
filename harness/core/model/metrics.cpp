#include "core/model/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/model/units.hpp"

namespace memgate {

const std::vector<MetricInfo>& gated_metrics() {
  static const std::vector<MetricInfo> kMetrics = {
      {"idle_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"peak_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"plateau_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes", true},
      {"residual_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes",
       true},
      {"retained_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes",
       true},
      {"peak_anon_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes",
       true},
      {"plateau_anon_bytes", Direction::lower_is_better, "max_increase_pct", "min_increase_bytes",
       true},
      {"growth_bytes_per_min", Direction::lower_is_better, "max_increase_pct", "max_bytes_per_min",
       true},
      {"throughput_per_s", Direction::higher_is_better, "max_decrease_pct", "min_decrease_per_s",
       false},
      {"latency_p50_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
      {"latency_p95_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
      {"latency_p99_ms", Direction::lower_is_better, "max_increase_pct", "min_increase_ms", false},
      {"cpu_us_per_op", Direction::lower_is_better, "max_increase_pct", "min_increase_us", false},
  };
  return kMetrics;
}

const MetricInfo* find_metric(std::string_view name) {
  if (const auto service = split_service_metric(name)) return find_metric(service->metric);
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

bool is_wall_clock_metric(std::string_view name) {
  return name == "throughput_per_s" || name.rfind("latency_", 0) == 0;
}

bool is_speed_dependent_metric(std::string_view name) {
  return is_wall_clock_metric(name) || name == "cpu_us_per_op";
}

bool is_memory_metric(const MetricInfo& info) {
  return info.is_bytes;
}

std::vector<std::string> memory_metric_names() {
  std::vector<std::string> names;
  for (const auto& m : gated_metrics()) {
    if (is_memory_metric(m)) names.push_back(m.name);
  }
  return names;
}

namespace {
constexpr std::string_view kPerUnitPrefix = "per_unit.";
}  // namespace

std::vector<std::string> per_unit_metric_names() {
  std::vector<std::string> names;
  for (const auto& name : memory_metric_names()) {
    if (name != "growth_bytes_per_min") names.push_back(name);
  }
  return names;
}

std::optional<std::string> split_per_unit_metric(std::string_view name) {
  if (name.substr(0, kPerUnitPrefix.size()) != kPerUnitPrefix) return std::nullopt;
  return std::string(name.substr(kPerUnitPrefix.size()));
}

std::string per_unit_metric_name(const std::string& metric) {
  return std::string(kPerUnitPrefix) + metric;
}

bool is_per_unit_metric(std::string_view name) {
  const auto metric = split_per_unit_metric(name);
  const auto names = per_unit_metric_names();
  return metric && std::find(names.begin(), names.end(), *metric) != names.end();
}

std::optional<ServiceMetric> split_service_metric(std::string_view name) {
  constexpr std::string_view kPrefix = "services.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto rest = name.substr(kPrefix.size());
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= rest.size()) return std::nullopt;
  return ServiceMetric{std::string(rest.substr(0, dot)), std::string(rest.substr(dot + 1))};
}

std::string service_metric_name(const std::string& service, const std::string& metric) {
  return "services." + service + "." + metric;
}

std::string format_metric(std::string_view metric, double value) {
  if (const auto service = split_service_metric(metric)) {
    return format_metric(service->metric, value);
  }
  if (split_per_unit_metric(metric)) return format_bytes_fine(value) + " per unit";
  if (metric == "growth_bytes_per_min") return format_bytes(value) + "/min";
  if (metric == "throughput_per_s") return fmt::format("{:.1f}/s", value);
  if (metric == "cpu_us_per_op") return fmt::format("{:.2f} µs", value);
  const MetricInfo* info = find_metric(metric);
  if (info && info->is_bytes) return format_bytes(value);
  return fmt::format("{:.3f} ms", value);
}

}  // namespace memgate
