#pragma once

// The metrics a gate rule or a budget may name (DESIGN.md, "Metrics"), with the direction in
// which they get better and the key of their absolute floor in a gate rule.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

enum class Direction { lower_is_better, higher_is_better };

struct MetricInfo {
  std::string name;     // JSON name, e.g. "peak_bytes"
  Direction direction;  // memory and latency: lower is better; throughput: higher
  // The relative tolerance key of a gate rule: max_increase_pct | max_decrease_pct.
  std::string tolerance_key;
  std::string floor_key;  // absolute floor key, in the metric's unit, e.g. min_increase_bytes
  bool is_bytes;          // formatted as bytes in reports
};

const std::vector<MetricInfo>& gated_metrics();

// nullptr when name is not a gated metric. A service's metric ("services.redis.peak_bytes")
// has the info of its metric ("peak_bytes").
const MetricInfo* find_metric(std::string_view name);

std::vector<std::string> gated_metric_names();

// Wall-clock metrics (throughput, latency): they move when another process takes a core, so a
// busy machine leaves them unjudged (gate.max_contention_pct).
bool is_wall_clock_metric(std::string_view name);
// Metrics that depend on the host's speed (wall clock, and CPU time per operation): a host slower
// or faster than the baseline's leaves them unjudged (gate.max_speed_diff_pct).
bool is_speed_dependent_metric(std::string_view name);

// Memory metrics (bytes, and growth): what services are gated on.
bool is_memory_metric(const MetricInfo& info);
std::vector<std::string> memory_metric_names();

// A sweep's figure per unit of work (DESIGN.md, "Scaling"): "per_unit.retained_bytes" <->
// "retained_bytes". The metrics that have one are the memory amounts (growth is a rate over
// time, not an amount).
std::vector<std::string> per_unit_metric_names();
std::optional<std::string> split_per_unit_metric(std::string_view name);
std::string per_unit_metric_name(const std::string& metric);
bool is_per_unit_metric(std::string_view name);  // "per_unit.<a metric that has one>"

// "services.redis.peak_bytes" <-> {"redis", "peak_bytes"}.
struct ServiceMetric {
  std::string service;
  std::string metric;
};
std::optional<ServiceMetric> split_service_metric(std::string_view name);
std::string service_metric_name(const std::string& service, const std::string& metric);

// A metric's value for people, in its unit: "12.3 MiB", "1.20 MiB/min", "4000.0/s", "0.350 ms",
// "16.0 KiB per unit" (a per-unit figure: per unit of the swept key).
std::string format_metric(std::string_view metric, double value);

}  // namespace memgate
