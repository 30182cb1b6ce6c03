#pragma once

// One repetition of a scenario (internal to the scenario runner).

#include "core/model/run_record.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate {

RunRecord run_once(const Scenario& scenario, int index, const RunSettings& settings);

}  // namespace memgate
