#pragma once

// A scenario's report: its runs, the summary (medians over the valid runs), the context that
// makes the numbers meaningful, and (for check/compare) the verdict. Every report format renders
// this one value.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/model/run_record.hpp"

namespace memgate {

constexpr int kReportSchemaVersion = 1;

struct Report {
  std::string scenario;
  std::string description;
  std::string scenario_hash;
  std::string driver;  // redis-queue | text-batch | command
  std::string created_at;  // ISO 8601 UTC, injected by the caller (the core reads no clock)
  nlohmann::json environment = nlohmann::json::object();
  std::vector<RunRecord> runs;
  RunMetrics summary;  // see summarize()
  std::vector<std::string> warnings;
  nlohmann::json gate;     // the scenario's gate rules (gate_to_json), for `memgate compare`
  // A sweep's {"key", "values"}; null without one. Its runs carry their sweep_value.
  nlohmann::json sweep;
  nlohmann::json verdict;  // null when there is none (run, watch)

  bool all_valid() const;
};

// Per metric, the median over the valid runs (over all runs when none is valid, so a failed
// report still shows what was measured): the summary reads like one typical run. In a sweep,
// of the runs at its largest value (stands_for_scenario).
RunMetrics summarize(const std::vector<RunRecord>& runs);

// A metric by its gated name ("peak_bytes", "latency_p99_ms"), when present.
std::optional<double> metric_value(const RunMetrics& metrics, const std::string& name);

}  // namespace memgate
