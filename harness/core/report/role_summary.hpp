#pragma once

// Memory per role over a report's runs: the SUT's and each service's metrics, medians over the
// valid runs (summarize()). The HTML page and summary.md render the same rows.

#include <string>
#include <vector>

#include "core/report/report.hpp"

namespace memgate {

struct RoleSummary {
  std::string role;  // "sut", or a service's name
  bool gated = false;
  RunMetrics metrics;
};

// The SUT first, then the services in the order of their first run. Empty when the report has
// no service (the SUT's figures are the report's own).
std::vector<RoleSummary> role_summaries(const Report& report);

// The memory metrics a role table shows.
const std::vector<std::string>& role_table_metrics();

}  // namespace memgate
