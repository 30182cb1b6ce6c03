#pragma once

// Memory per role over a report's runs: the SUT's, each service's and the load command's
// metrics, medians over the valid runs (summarize()). The HTML page and summary.md render the
// same rows.

#include <string>
#include <vector>

#include "core/report/report.hpp"

namespace memgate {

struct RoleSummary {
  std::string role;  // "sut", a service's name, or "load" (a load command's)
  bool gated = false;
  RunMetrics metrics;
};

// The SUT first, then the services in the order of their first run, then the load command.
// Empty when the report has no other role (the SUT's figures are the report's own).
std::vector<RoleSummary> role_summaries(const Report& report);

// A run's roles besides the SUT: its services, then the load command's.
std::vector<const RoleMemory*> other_roles(const RunRecord& run);

}  // namespace memgate
