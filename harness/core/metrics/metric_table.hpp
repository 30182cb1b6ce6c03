#pragma once

// The metrics of memgate, one row each, as google/benchmark keeps its statistics: the name (the
// key in report.json, baselines, the history and gate rules), unit and format, the direction in
// which it gets better, the keys of its gate rule and its rule in the default gate, what a
// scenario needs to measure it, and its accessor on RunMetrics. Summaries, the gate's validation
// and default rules, JSON writing and reading, memory per role and the report rows loop over this
// table: a new metric is a field of RunMetrics, a compute function (run_metrics.cpp) and a row.
// tests/unit/test_metric_table.cpp checks that every row round-trips through report.json and
// baselines, and that the scenario JSON Schema names the same metrics.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/run_record.hpp"

namespace memgate {

enum class Direction { lower_is_better, higher_is_better };

enum class Unit {
  bytes,          // "12.3 MiB"; stored as a whole number
  bytes_per_min,  // "1.20 MiB/min"
  per_s,          // "4000.0/s"
  ms,             // "0.350 ms"
  us,             // "2.79 µs"
  percent,        // "3.2%"
};

// What a scenario must have for a metric to be measured; without it a rule on the metric is
// refused when the scenario loads, saying why (scenario/gate_parser.cpp).
enum Need : unsigned {
  kNeedsOperations = 1u << 0,       // operations memgate counts (no command; a load command
                                    // with a parser)
  kNeedsIdleAndCooldown = 1u << 1,  // phases around the load (no command scenario)
  kNeedsWarmupIfOneShot = 1u << 2,  // a command's figure after its start-up
  kNeedsLatency = 1u << 3,          // a driver that times each operation
  kNeedsP95 = 1u << 4,              // ... and reports a 95th percentile (not wrk)
  kNeedsCooldown = 1u << 5,         // measured in the cool-down
  kNeedsClosedModel = 1u << 6,      // an open model's throughput is its target rate
};

// A rule of the default gate (a scenario without a "gate" section).
struct DefaultRule {
  std::optional<double> tolerance_pct;
  std::optional<double> floor;
};

struct MetricInfo {
  std::string name;        // JSON name, e.g. "peak_bytes"
  std::string definition;  // for people (docs/metrics.md is made from it: memgate metrics)
  Unit unit = Unit::bytes;
  Direction direction = Direction::lower_is_better;  // throughput: higher is better
  // The relative tolerance key of a gate rule: max_increase_pct | max_decrease_pct.
  std::string tolerance_key;
  std::string floor_key;  // absolute floor key, in the metric's unit, e.g. min_increase_bytes
  bool is_bytes = false;  // memory (bytes, and growth): services are gated on these
  bool gated = true;      // a gate rule or budget may name it (contention_pct: no)
  unsigned needs = 0;     // Need flags
  std::optional<DefaultRule> default_rule;  // in the default gate
  bool in_role_table = false;               // a column of "Memory per role"
  bool has_per_unit = false;                // a sweep gives its figure per unit of work
  // report.json: a key of "metrics" (json_min..json_max), or under "latency_ms" (p50, ...).
  std::string latency_key;  // "p50": under latency_ms; "" : a key of its own
  double json_min = -1e18;
  double json_max = 1e18;
  bool summary_is_max = false;  // the summary over runs: the worst (max), not the median
  std::optional<double> (*get)(const RunMetrics&) = nullptr;
  void (*set)(RunMetrics&, double) = nullptr;
};

// Every metric, in the order reports list them.
const std::vector<MetricInfo>& metric_table();

// The metrics a gate rule or a budget may name.
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

// The metrics of the "Memory per role" tables.
std::vector<std::string> role_table_metrics();

// A sweep's figure per unit of work: "per_unit.retained_bytes" <-> "retained_bytes". The metrics
// that have one are the memory amounts (growth is a rate over time, not an amount).
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

// The table for people, as Markdown: one row per metric (name, unit, better, gate rule keys,
// default rule, what it needs, definition). docs/metrics.md holds it (a test keeps it so).
std::string metric_table_markdown();

// A metric by its name ("peak_bytes", "latency_p99_ms"), when present in m.
std::optional<double> metric_value(const RunMetrics& m, const std::string& name);

}  // namespace memgate
