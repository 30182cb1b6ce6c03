#include "core/metrics/validity.hpp"

#include <fmt/format.h>

namespace memgate {

std::vector<std::string> validity_problems(const LoadFigures& f) {
  std::vector<std::string> problems;
  if (f.ops == 0) problems.push_back(fmt::format("no {} completed in the load phase", f.op_unit));
  if (f.errors > f.max_errors) {
    problems.push_back(
        fmt::format("{} {}(s) failed, more than the scenario allows "
                    "(max_errors: {}){}",
                    f.errors, f.op_unit, f.max_errors,
                    f.first_failure ? "; the first: " + *f.first_failure : std::string()));
  }
  if (f.target_rate_per_s && *f.target_rate_per_s > 0) {
    const double achieved = f.achieved_rate_per_s.value_or(0);
    if (achieved < kMinAchievedRateShare * *f.target_rate_per_s) {
      problems.push_back(fmt::format(
          "the open model achieved {:.1f} ops/s, less than {:.0f}% of its target {:.1f} ops/s: "
          "the load generator or the SUT could not keep up{}",
          achieved, kMinAchievedRateShare * 100, *f.target_rate_per_s,
          f.backlog_jobs ? fmt::format(" ({} {}s still waiting in the queue at the end)",
                                       *f.backlog_jobs, f.op_unit)
                         : std::string()));
    }
  }
  return problems;
}

}  // namespace memgate
