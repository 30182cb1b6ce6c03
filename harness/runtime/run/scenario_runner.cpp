#include "runtime/run/scenario_runner.hpp"

#include "core/gate/gate.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/env/environment.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/run_once.hpp"

namespace memgate {

Report run_scenario(const Scenario& scenario, const RunSettings& settings) {
  Report report;
  report.scenario = scenario.name;
  report.description = scenario.description;
  report.scenario_hash = scenario_hash(scenario);
  report.driver = driver_type(scenario.driver);
  report.environment = read_environment();
  report.warnings = environment_warnings(report.environment);
  report.gate = gate_to_json(scenario.gate);
  for (int i = settings.first_index; i < settings.first_index + settings.repeat; ++i) {
    report.runs.push_back(run_once(scenario, i, settings));
    // An invalid run means the scenario cannot be measured as it stands: stop here.
    if (!report.runs.back().valid || interrupt::requested()) break;
  }
  report.summary = summarize(report.runs);
  return report;
}

}  // namespace memgate
