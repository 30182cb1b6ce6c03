#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"

namespace memgate {

// The driver of a scenario, made by the factory registered for its kind's name. Throws RunError
// when the driver cannot be set up (e.g. the password variable is not set) or its kind has no
// load (`command`).
std::unique_ptr<Driver> make_driver(const Scenario& scenario);

// The kinds that have a factory (every kind with operations must: a test checks it).
std::vector<std::string> drivers_with_factory();

}  // namespace memgate
