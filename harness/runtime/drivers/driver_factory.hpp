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

// What a scenario needs from outside its file, checked before anything runs (exit 2 naming the
// file and JSON path): its texts files are readable UTF-8, and every {env:NAME} of its request
// headers is set, at least secrets::kMinSecretBytes long, and registered as a secret to mask
// (core/model/secret_mask.hpp). Without env_required (memgate validate, where the secrets may
// not be at hand), an unset or short variable is a note in the result instead of an error.
std::vector<std::string> check_run_inputs(const Scenario& scenario, bool env_required = true);

// The kinds that have a factory (every kind with operations must: a test checks it).
std::vector<std::string> drivers_with_factory();

}  // namespace memgate
