#pragma once

// When a run's figures make it invalid (docs/metrics.md, "Valid runs": a run that is not valid
// is exit 3, never a pass). Pure: the runner adds what only it can see (the SUT died, the watcher
// lost it).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memgate {

// Below this share of its target rate an open-model run did not apply the load it promised.
constexpr double kMinAchievedRateShare = 0.9;

struct LoadFigures {
  std::int64_t ops = 0;
  std::int64_t errors = 0;
  std::int64_t max_errors = 0;                    // the scenario's budget
  std::optional<double> target_rate_per_s;        // open model only
  std::optional<double> achieved_rate_per_s;
  std::string op_unit = "operation";         // "job", "text", ... for the messages
  std::optional<std::int64_t> backlog_jobs;  // work left waiting at the end, where known
  std::optional<std::string> first_failure;  // what the first failed operation met
};

// One message per problem; empty when the run is valid.
std::vector<std::string> validity_problems(const LoadFigures& load);

}  // namespace memgate
