#include <catch2/catch.hpp>

#include "core/metrics/validity.hpp"

using namespace memgate;

TEST_CASE("validity: a run with operations, no errors and its rate is valid") {
  CHECK(validity_problems({100, 0, 0, std::nullopt, std::nullopt}).empty());
  CHECK(validity_problems({100, 0, 0, 1000.0, 900.0}).empty());  // exactly 90%
  CHECK(validity_problems({100, 3, 3, std::nullopt, std::nullopt}).empty());  // within budget
}

TEST_CASE("validity: each problem is named") {
  auto p = validity_problems({0, 0, 0, std::nullopt, std::nullopt});
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("no operation completed"));
  p = validity_problems({100, 1, 0, std::nullopt, std::nullopt});
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("1 operation(s) failed") && Catch::Contains("max_errors: 0"));
  p = validity_problems({100, 0, 0, 1000.0, 899.0});
  REQUIRE(p.size() == 1);
  CHECK_THAT(p[0], Catch::Contains("achieved 899.0 ops/s") && Catch::Contains("1000.0"));
  p = validity_problems({0, 5, 1, 1000.0, std::nullopt});
  CHECK(p.size() == 3);
}
