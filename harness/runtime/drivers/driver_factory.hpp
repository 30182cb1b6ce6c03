#pragma once

#include <memory>

#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"

namespace memgate {

// The driver of a scenario (`command` scenarios have none). Throws RunError when the driver
// cannot be set up (e.g. the password variable is not set), before any SUT starts.
std::unique_ptr<Driver> make_driver(const Scenario& scenario);

}  // namespace memgate
