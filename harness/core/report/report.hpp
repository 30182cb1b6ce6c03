#pragma once

// A scenario's report: its runs, the summary (medians over the valid runs), the context that
// makes the numbers meaningful, and (for check/compare) the verdict. Every report format renders
// this one value.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics/metric_table.hpp"
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
  // What a reader should know about how the figures were taken (no problem), said once.
  std::vector<std::string> notes;
  nlohmann::json gate;     // the scenario's gate rules (gate_to_json), for `memgate compare`
  // A sweep's {"key", "values"}; null without one. Its runs carry their sweep_value.
  nlohmann::json sweep;
  nlohmann::json verdict;  // null when there is none (run, watch)

  bool all_valid() const;
};

// Per metric of the metric table, the median over the valid runs (over all runs when none is
// valid, so a failed report still shows what was measured; contention: the worst run's): the
// summary reads like one typical run. In a sweep, of the runs at its largest value
// (stands_for_scenario).
RunMetrics summarize(const std::vector<RunRecord>& runs);

}  // namespace memgate
