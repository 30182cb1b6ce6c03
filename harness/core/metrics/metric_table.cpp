#include "core/metrics/metric_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/model/units.hpp"

namespace memgate {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr unsigned kNone = 0;

// Accessors of RunMetrics' fields, for the rows below.
template <std::optional<std::int64_t> RunMetrics::*Field>
std::optional<double> get_bytes(const RunMetrics& m) {
  if (!(m.*Field)) return std::nullopt;
  return static_cast<double>(*(m.*Field));
}
template <std::optional<std::int64_t> RunMetrics::*Field>
void set_bytes(RunMetrics& m, double v) {
  m.*Field = static_cast<std::int64_t>(v);
}
template <std::optional<double> RunMetrics::*Field>
std::optional<double> get_value(const RunMetrics& m) {
  return m.*Field;
}
template <std::optional<double> RunMetrics::*Field>
void set_value(RunMetrics& m, double v) {
  m.*Field = v;
}
// Latency percentiles live in one object: reading p50 creates it, p99 is 0 until set.
std::optional<double> get_p50(const RunMetrics& m) {
  if (!m.latency_ms) return std::nullopt;
  return m.latency_ms->p50_ms;
}
void set_p50(RunMetrics& m, double v) {
  if (!m.latency_ms) m.latency_ms.emplace();
  m.latency_ms->p50_ms = v;
}
std::optional<double> get_p95(const RunMetrics& m) {
  if (!m.latency_ms) return std::nullopt;
  return m.latency_ms->p95_ms;
}
void set_p95(RunMetrics& m, double v) {
  if (!m.latency_ms) m.latency_ms.emplace();
  m.latency_ms->p95_ms = v;
}
std::optional<double> get_p99(const RunMetrics& m) {
  if (!m.latency_ms) return std::nullopt;
  return m.latency_ms->p99_ms;
}
void set_p99(RunMetrics& m, double v) {
  if (!m.latency_ms) m.latency_ms.emplace();
  m.latency_ms->p99_ms = v;
}

// A row's identity; the rest of its fields are set by the caller.
MetricInfo base(const char* name, Unit unit, Direction direction, const char* tolerance_key,
                const char* floor_key, bool is_bytes) {
  MetricInfo m;
  m.name = name;
  m.unit = unit;
  m.direction = direction;
  m.tolerance_key = tolerance_key;
  m.floor_key = floor_key;
  m.is_bytes = is_bytes;
  return m;
}

// A memory amount of RunMetrics: bytes, gated like peak_bytes, with a figure per unit.
template <std::optional<std::int64_t> RunMetrics::*Field>
MetricInfo memory(const char* name, unsigned needs, std::optional<DefaultRule> default_rule,
                  bool in_role_table) {
  MetricInfo m = base(name, Unit::bytes, Direction::lower_is_better, "max_increase_pct",
                      "min_increase_bytes", true);
  m.needs = needs;
  m.default_rule = default_rule;
  m.in_role_table = in_role_table;
  m.has_per_unit = true;
  m.get = get_bytes<Field>;
  m.set = set_bytes<Field>;
  return m;
}

MetricInfo latency(const char* name, const char* key, unsigned needs,
                   std::optional<double> (*get)(const RunMetrics&),
                   void (*set)(RunMetrics&, double)) {
  MetricInfo m = base(name, Unit::ms, Direction::lower_is_better, "max_increase_pct",
                      "min_increase_ms", false);
  m.needs = kNeedsOperations | kNeedsLatency | needs;
  m.latency_key = key;
  m.json_min = 0;
  m.get = get;
  m.set = set;
  return m;
}

// What each metric is, for people.
std::string definition_of(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> kDefinitions = {
      {"idle_bytes", "median memory of the idle phase"},
      {"peak_bytes",
       "highest memory of the tree, the kernel's high-water marks included (docs/watcher.md)"},
      {"plateau_bytes",
       "median memory of the load phase (after the warm-up; a command's only after one)"},
      {"residual_bytes", "median memory of the second half of the cool-down"},
      {"retained_bytes", "residual_bytes - idle_bytes: what the load left behind"},
      {"peak_anon_bytes", "highest anonymous memory (heap, stacks) of the tree's samples"},
      {"plateau_anon_bytes", "median anonymous memory of the load phase"},
      {"max_process_peak_bytes",
       "highest own peak of one process of the tree: a leak in one child of a pool, not diluted "
       "by the others (docs/gate.md)"},
      {"max_process_plateau_bytes",
       "highest plateau of one process of the tree (its own median over the load phase): a leak in "
       "one child of a pool that stays up, not diluted by the others (docs/gate.md)"},
      {"growth_bytes_per_min",
       "Theil-Sen slope of memory over the load phase: the leak signal (a command's only after a "
       "warm-up, over 20 samples or more)"},
      {"throughput_per_s",
       "operations completed per second of the load phase (jobs a worker finished, for a worker)"},
      {"latency_p50_ms",
       "median latency per operation, from a log-bucketed histogram (within 1.6%)"},
      {"latency_p95_ms", "95th percentile of the latency per operation"},
      {"latency_p99_ms", "99th percentile of the latency per operation"},
      {"cpu_us_per_op",
       "CPU time (user + system) of the SUT's tree in the load phase per completed operation"},
      {"contention_pct",
       "share of the CPU other processes took in the load phase, steal included (not gated: it "
       "decides whether timing is judged; the worst run's)"},
  };
  for (const auto& [metric, text] : kDefinitions) {
    if (metric == name) return text;
  }
  return "";
}

std::vector<MetricInfo> make_table() {
  const DefaultRule memory_rule{10, 4 * kMiB};
  std::vector<MetricInfo> t;
  t.push_back(
      memory<&RunMetrics::idle_bytes>("idle_bytes", kNeedsIdleAndCooldown, std::nullopt, true));
  t.push_back(memory<&RunMetrics::peak_bytes>("peak_bytes", kNone, memory_rule, true));
  t.push_back(memory<&RunMetrics::plateau_bytes>("plateau_bytes", kNeedsWarmupIfOneShot,
                                                 memory_rule, true));
  t.push_back(memory<&RunMetrics::residual_bytes>(
      "residual_bytes", kNeedsIdleAndCooldown | kNeedsCooldown, memory_rule, true));
  t.push_back(memory<&RunMetrics::retained_bytes>(
      "retained_bytes", kNeedsIdleAndCooldown | kNeedsCooldown, std::nullopt, false));
  t.push_back(memory<&RunMetrics::peak_anon_bytes>("peak_anon_bytes", kNone, std::nullopt, false));
  t.push_back(memory<&RunMetrics::plateau_anon_bytes>("plateau_anon_bytes", kNeedsWarmupIfOneShot,
                                                      std::nullopt, false));
  t.push_back(memory<&RunMetrics::max_process_peak_bytes>("max_process_peak_bytes", kNone,
                                                          std::nullopt, false));
  t.push_back(memory<&RunMetrics::max_process_plateau_bytes>(
      "max_process_plateau_bytes", kNeedsWarmupIfOneShot, std::nullopt, false));
  MetricInfo growth = base("growth_bytes_per_min", Unit::bytes_per_min, Direction::lower_is_better,
                           "max_increase_pct", "max_bytes_per_min", true);
  growth.needs = kNeedsWarmupIfOneShot;
  growth.default_rule = DefaultRule{std::nullopt, 1 * kMiB};
  growth.in_role_table = true;
  growth.get = get_value<&RunMetrics::growth_bytes_per_min>;
  growth.set = set_value<&RunMetrics::growth_bytes_per_min>;
  t.push_back(growth);
  MetricInfo throughput = base("throughput_per_s", Unit::per_s, Direction::higher_is_better,
                               "max_decrease_pct", "min_decrease_per_s", false);
  throughput.needs = kNeedsOperations | kNeedsClosedModel;
  throughput.default_rule = DefaultRule{15, std::nullopt};
  throughput.json_min = 0;
  throughput.get = get_value<&RunMetrics::throughput_per_s>;
  throughput.set = set_value<&RunMetrics::throughput_per_s>;
  t.push_back(throughput);
  t.push_back(latency("latency_p50_ms", "p50", kNone, get_p50, set_p50));
  t.push_back(latency("latency_p95_ms", "p95", kNeedsP95, get_p95, set_p95));
  t.push_back(latency("latency_p99_ms", "p99", kNone, get_p99, set_p99));
  MetricInfo cpu = base("cpu_us_per_op", Unit::us, Direction::lower_is_better, "max_increase_pct",
                        "min_increase_us", false);
  cpu.needs = kNeedsOperations;
  cpu.default_rule = DefaultRule{15, 0.5};
  cpu.json_min = 0;
  cpu.get = get_value<&RunMetrics::cpu_us_per_op>;
  cpu.set = set_value<&RunMetrics::cpu_us_per_op>;
  t.push_back(cpu);
  // Not gated: it decides whether timing is judged. The worst run's stands for the scenario.
  MetricInfo contention =
      base("contention_pct", Unit::percent, Direction::lower_is_better, "", "", false);
  contention.gated = false;
  contention.json_min = 0;
  contention.json_max = 1000;
  contention.summary_is_max = true;
  contention.get = get_value<&RunMetrics::contention_pct>;
  contention.set = set_value<&RunMetrics::contention_pct>;
  t.push_back(contention);
  for (MetricInfo& m : t) m.definition = definition_of(m.name);
  return t;
}

constexpr std::string_view kPerUnitPrefix = "per_unit.";

}  // namespace

const std::vector<MetricInfo>& metric_table() {
  static const std::vector<MetricInfo> kTable = make_table();
  return kTable;
}

const std::vector<MetricInfo>& gated_metrics() {
  static const std::vector<MetricInfo> kGated = [] {
    std::vector<MetricInfo> out;
    for (const auto& m : metric_table()) {
      if (m.gated) out.push_back(m);
    }
    return out;
  }();
  return kGated;
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
  const MetricInfo* m = find_metric(name);
  return m && (m->unit == Unit::per_s || m->unit == Unit::ms);
}

bool is_speed_dependent_metric(std::string_view name) {
  const MetricInfo* m = find_metric(name);
  return m && (is_wall_clock_metric(name) || m->unit == Unit::us);
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

std::vector<std::string> role_table_metrics() {
  std::vector<std::string> names;
  for (const auto& m : metric_table()) {
    if (m.in_role_table) names.push_back(m.name);
  }
  return names;
}

std::vector<std::string> per_unit_metric_names() {
  std::vector<std::string> names;
  for (const auto& m : metric_table()) {
    if (m.has_per_unit) names.push_back(m.name);
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
  const auto row = std::find_if(metric_table().begin(), metric_table().end(),
                                [&](const MetricInfo& m) { return m.name == metric; });
  switch (row == metric_table().end() ? Unit::ms : row->unit) {
    case Unit::bytes:
      return format_bytes(value);
    case Unit::bytes_per_min:
      return format_bytes(value) + "/min";
    case Unit::per_s:
      return fmt::format("{:.1f}/s", value);
    case Unit::us:
      return fmt::format("{:.2f} µs", value);
    case Unit::percent:
      return fmt::format("{:.1f}%", value);
    case Unit::ms:
      break;
  }
  return fmt::format("{:.3f} ms", value);
}

namespace {

std::string unit_name(Unit unit) {
  switch (unit) {
    case Unit::bytes:
      return "bytes";
    case Unit::bytes_per_min:
      return "bytes/min";
    case Unit::per_s:
      return "1/s";
    case Unit::ms:
      return "ms";
    case Unit::us:
      return "µs";
    case Unit::percent:
      return "%";
  }
  return "";
}

std::string needs_text(unsigned needs) {
  std::vector<std::string> parts;
  if (needs & kNeedsOperations) parts.emplace_back("operations");
  if (needs & kNeedsIdleAndCooldown) parts.emplace_back("idle and cool-down phases");
  if (needs & kNeedsWarmupIfOneShot) parts.emplace_back("a warm-up, for a command");
  if (needs & kNeedsLatency) parts.emplace_back("latency");
  if (needs & kNeedsP95) parts.emplace_back("a 95th percentile");
  if (needs & kNeedsCooldown) parts.emplace_back("a cool-down");
  if (needs & kNeedsClosedModel) parts.emplace_back("a closed model");
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string default_rule_text(const MetricInfo& m) {
  if (!m.default_rule) return "-";
  std::vector<std::string> parts;
  if (m.default_rule->tolerance_pct) {
    parts.push_back(fmt::format("{} {}", m.tolerance_key, *m.default_rule->tolerance_pct));
  }
  if (m.default_rule->floor) {
    parts.push_back(fmt::format("{} {}", m.floor_key, *m.default_rule->floor));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::string metric_table_markdown() {
  std::string out =
      "| metric | unit | better | rule keys | default rule | needs | definition |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const MetricInfo& m : metric_table()) {
    out +=
        fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", m.name, unit_name(m.unit),
                    m.direction == Direction::lower_is_better ? "lower" : "higher",
                    m.gated ? fmt::format("`{}`, `{}`", m.tolerance_key, m.floor_key) : "not gated",
                    default_rule_text(m), needs_text(m.needs), m.definition);
  }
  return out;
}

std::optional<double> metric_value(const RunMetrics& m, const std::string& name) {
  for (const auto& row : metric_table()) {
    if (row.name == name) return row.get(m);
  }
  return std::nullopt;
}

}  // namespace memgate
