// The runtime half of the driver registry holds a factory for every driver kind that applies a
// load: a kind added to core/drivers without one would parse and then fail at its first run.

#include <algorithm>
#include <catch2/catch.hpp>

#include "core/drivers/driver_kind.hpp"
#include "runtime/drivers/driver_factory.hpp"

using namespace memgate;

TEST_CASE("drivers: every kind with operations has a factory, and every factory a kind") {
  const auto factories = drivers_with_factory();
  const auto kinds = driver_kind_names();
  for (const auto& name : kinds) {
    INFO(name);
    const auto* kind = find_driver_kind(name);
    REQUIRE(kind != nullptr);
    const bool has_factory = std::find(factories.begin(), factories.end(), name) != factories.end();
    // "command" runs no load: its SUT's whole life is the load phase.
    CHECK(has_factory == (name != "command"));
  }
  for (const auto& name : factories) {
    INFO(name);
    CHECK(std::find(kinds.begin(), kinds.end(), name) != kinds.end());
  }
}
