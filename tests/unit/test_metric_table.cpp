// The metric table is the one definition of a metric: every row round-trips through report.json
// and baselines, and the scenario JSON Schema names exactly the table's metrics. A row that one of
// them misses fails here, not silently in a report.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/model/text_file.hpp"
#include "core/report/json_report.hpp"
#include "core/report/report_reader.hpp"
#include "support/temp_dir.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

// A value each metric can hold, distinct per row (whole for bytes, exact to 3 decimals else).
double sample_value(std::size_t row, const MetricInfo& m) {
  const double v = 1000.0 + 111.0 * static_cast<double>(row);
  if (m.unit == Unit::percent) return 5.125 + static_cast<double>(row);  // within 0..1000
  return m.unit == Unit::bytes ? v * 4096 : v + 0.125;
}

// A report of two runs, every metric of the table set in each.
Report report_with_every_metric() {
  Report r;
  r.scenario = "table";
  r.scenario_hash = "0123456789abcdef";
  r.driver = "redis-queue";
  r.created_at = "2026-01-02T03:04:05Z";
  r.gate = gate_to_json(GateSpec{});
  for (int index = 1; index <= 2; ++index) {
    RunRecord run;
    run.index = index;
    run.valid = true;
    for (std::size_t i = 0; i < metric_table().size(); ++i) {
      const MetricInfo& m = metric_table()[i];
      m.set(run.metrics, sample_value(i, m));
    }
    r.runs.push_back(run);
  }
  r.summary = summarize(r.runs);
  return r;
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> out;
  for (const auto& [key, value] : object.items()) out.insert(key);
  return out;
}

}  // namespace

TEST_CASE("metric table: every row has an accessor and a unit-consistent rule") {
  std::set<std::string> names;
  for (const MetricInfo& m : metric_table()) {
    INFO(m.name);
    CHECK(names.insert(m.name).second);  // each name once
    REQUIRE(m.get != nullptr);
    REQUIRE(m.set != nullptr);
    RunMetrics metrics;
    CHECK_FALSE(m.get(metrics));  // absent until set
    m.set(metrics, 42);
    CHECK(m.get(metrics) == 42);
    if (m.gated) {
      CHECK_FALSE(m.tolerance_key.empty());
      CHECK_FALSE(m.floor_key.empty());
      CHECK(find_metric(m.name) != nullptr);
      CHECK(find_metric("services.redis." + m.name) != nullptr);
    }
    CHECK(m.is_bytes == (m.unit == Unit::bytes || m.unit == Unit::bytes_per_min));
    if (m.has_per_unit) CHECK(m.unit == Unit::bytes);
    CHECK_FALSE(format_metric(m.name, 1).empty());
  }
}

TEST_CASE("metric table: every row round-trips through report.json and a baseline") {
  const Report report = report_with_every_metric();
  test::TempDir dir;
  const std::string path = dir.file("report.json");
  write_file_atomic(path, report_to_json(report).dump(1));
  const ReportForGate back = read_report_file(path);
  REQUIRE(back.report.runs.size() == 2);
  for (std::size_t i = 0; i < metric_table().size(); ++i) {
    const MetricInfo& m = metric_table()[i];
    INFO(m.name);
    CHECK(metric_value(back.report.runs[0].metrics, m.name) == sample_value(i, m));
    CHECK(metric_value(report.summary, m.name) == sample_value(i, m));  // the median of equals
  }
  // A baseline keeps every gated metric's runs, and reads them back.
  const Baseline baseline = make_baseline(report, "");
  const Baseline read = baseline_from_json(baseline_to_json(baseline), "baseline.json");
  for (std::size_t i = 0; i < metric_table().size(); ++i) {
    const MetricInfo& m = metric_table()[i];
    INFO(m.name);
    const auto it = read.metrics.find(m.name);
    if (!m.gated) {
      CHECK(it == read.metrics.end());
      continue;
    }
    REQUIRE(it != read.metrics.end());
    CHECK(it->second.values == std::vector<double>{sample_value(i, m), sample_value(i, m)});
  }
}

TEST_CASE("metric table: the scenario JSON Schema names exactly the gated metrics") {
  const json schema = json::parse(
      read_text_file(std::string(MEMGATE_SOURCE_DIR) + "/scenarios/scenario.schema.json"));
  const json& gate = schema.at("properties").at("gate");
  std::set<std::string> rules;
  for (const auto& key : keys_of(gate.at("properties"))) {
    if (key != "budgets" && key != "noise_mad_k" && key != "max_reruns" &&
        key != "max_contention_pct" && key != "max_speed_diff_pct" &&
        key != "single_sitting_hard_factor") {
      rules.insert(key);
    }
  }
  const auto names = gated_metric_names();
  const std::set<std::string> gated(names.begin(), names.end());
  CHECK(rules == gated);
  CHECK(keys_of(gate.at("properties").at("budgets").at("properties")) == gated);
  // The patterns of per-unit and of services' rules name the metrics that have them.
  std::string per_unit_pattern, service_pattern;
  for (const auto& [pattern, value] : gate.at("patternProperties").items()) {
    if (pattern.rfind("^per_unit", 0) == 0) per_unit_pattern = pattern;
    if (pattern.rfind("^services", 0) == 0 && pattern.find("(idle") != std::string::npos) {
      service_pattern = pattern;
    }
  }
  REQUIRE_FALSE(per_unit_pattern.empty());
  REQUIRE_FALSE(service_pattern.empty());
  for (const MetricInfo& m : gated_metrics()) {
    INFO(m.name);
    const bool per_unit = std::regex_search("per_unit." + m.name, std::regex(per_unit_pattern));
    CHECK(per_unit == m.has_per_unit);
    const bool service = std::regex_search("services.redis." + m.name, std::regex(service_pattern));
    CHECK(service == (m.is_bytes && m.unit == Unit::bytes));
  }
}

TEST_CASE("metric table: docs/metrics.md holds the table memgate metrics prints") {
  const std::string docs = read_text_file(std::string(MEMGATE_SOURCE_DIR) + "/docs/metrics.md");
  const std::string begin = "<!-- metric-table:begin -->\n", end = "<!-- metric-table:end -->";
  const auto from = docs.find(begin), to = docs.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  // On a difference: `memgate metrics` prints the table to paste between the markers.
  CHECK(docs.substr(from + begin.size(), to - from - begin.size()) == metric_table_markdown());
}
