// The open-model schedule: operation k is due at start + k / rate.

#include <catch2/catch.hpp>

#include "runtime/drivers/pacer.hpp"

using namespace memgate;
using namespace std::chrono;

TEST_CASE("pacer: an open model spaces operations by 1/rate from the start") {
  const auto start = Pacer::Clock::time_point(seconds(100));
  const Pacer pacer(1000, start);
  CHECK(pacer.open());
  CHECK(pacer.due(0) == start);
  CHECK(pacer.due(5) == start + milliseconds(5));
  CHECK(pacer.due(2500) == start + milliseconds(2500));
  const Pacer slow(3, start);
  CHECK(slow.due(1) == start + nanoseconds(333'333'333));
}

TEST_CASE("pacer: a closed model is always due, and a stopped wait returns nothing") {
  const Pacer closed(0, Pacer::Clock::now());
  CHECK_FALSE(closed.open());
  const auto before = Pacer::Clock::now();
  CHECK(closed.due(1'000'000) >= before);
  CHECK(closed.wait_for(42, [] { return true; }).has_value());
  const Pacer far(1, Pacer::Clock::now() + hours(1));
  CHECK_FALSE(far.wait_for(0, [] { return false; }).has_value());
}
