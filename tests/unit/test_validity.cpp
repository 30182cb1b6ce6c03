#include <catch2/catch.hpp>

#include "core/metrics/validity.hpp"

using namespace memgate;

namespace {
LoadFigures figures(std::int64_t ops, std::int64_t errors, std::int64_t max_errors,
                    std::optional<double> target = std::nullopt,
                    std::optional<double> achieved = std::nullopt) {
  LoadFigures f;
  f.ops = ops;
  f.errors = errors;
  f.max_errors = max_errors;
  f.target_rate_per_s = target;
  f.achieved_rate_per_s = achieved;
  return f;
}
}  // namespace

TEST_CASE("validity: a run with operations, no errors and its rate is valid") {
  CHECK(validity_problems(figures(100, 0, 0)).empty());
  CHECK(validity_problems(figures(100, 0, 0, 1000.0, 900.0)).empty());  // exactly 90%
  CHECK(validity_problems(figures(100, 3, 3)).empty());                 // within budget
}

TEST_CASE("validity: each problem is named, in the load's unit") {
  auto p = validity_problems(figures(0, 0, 0));
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("no operation completed"));
  p = validity_problems(figures(100, 1, 0));
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("1 operation(s) failed") && Catch::Contains("max_errors: 0"));
  p = validity_problems(figures(100, 0, 0, 1000.0, 899.0));
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("achieved 899.0 ops/s") && Catch::Contains("1000.0"));
  p = validity_problems(figures(0, 5, 1, 1000.0));
  CHECK(p.size() == 3);
}

TEST_CASE("validity: a worker that falls behind is named with its backlog") {
  LoadFigures f = figures(500, 0, 0, 100.0, 50.0);
  f.op_unit = "job";
  f.backlog_jobs = 487;
  const auto p = validity_problems(f);
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("could not keep up") &&
                       Catch::Contains("487 jobs still waiting in the queue"));
  f.ops = 0;
  CHECK_THAT(validity_problems(f)[0], Catch::Contains("no job completed"));
}
