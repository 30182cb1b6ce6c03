#include "runtime/run/scenario_runner.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "core/gate/gate.hpp"
#include "core/metrics/per_unit.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/env/environment.hpp"
#include "runtime/env/speed_index.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

// A reused report folder holds only this run's folders and logs: memgate's run folders (they
// carry its marker) and logs of older versions (sut-runN.log) go.
void remove_old_runs(const std::string& out_dir) {
  namespace fs = std::filesystem;
  static const std::regex kOldLog("sut-run[0-9]+\\.log");
  static const std::regex kRunDir("run[0-9]+");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(name, kOldLog)) {
      fs::remove(entry.path(), ec);
    } else if (entry.is_directory() && std::regex_match(name, kRunDir) &&
               fs::exists(entry.path() / kRunDirMarker)) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace

Report new_report(const Scenario& scenario) {
  Report report;
  report.scenario = scenario.name;
  report.description = scenario.description;
  report.scenario_hash = scenario_hash(scenario);
  report.driver = driver_type(scenario.driver);
  report.environment = read_environment();
  report.warnings = environment_warnings(report.environment);
  if (scenario.watch.exact_peak) report.notes.push_back(kExactPeakNote);
  report.gate = gate_to_json(scenario.gate);
  if (scenario.sweep) {
    report.sweep = {{"key", scenario.sweep->key}, {"values", scenario.sweep->values}};
  }
  return report;
}

Report run_scenario(const Scenario& scenario, const RunSettings& settings) {
  if (!settings.backend) throw std::logic_error("run_scenario: RunSettings.backend is not set");
  Report report = new_report(scenario);
  if (settings.first_index == 1 && !settings.out_dir.empty()) remove_old_runs(settings.out_dir);
  // The host's speed, before and after the runs: the faster of the two is the least disturbed.
  const double speed_before_ms = settings.measure_speed ? reference_workload_ms() : 0;
  // A sweep runs `repeat` rounds of every value, interleaved (sweep_order).
  const std::size_t values = scenario.sweep ? scenario.sweep->values.size() : 1;
  const std::vector<std::size_t> order =
      sweep_order(values, settings.repeat, (settings.first_index - 1) / static_cast<int>(values));
  const int planned = settings.repeat * static_cast<int>(values);
  for (int i = settings.first_index; i < settings.first_index + planned; ++i) {
    const std::size_t value = order[static_cast<std::size_t>(i - settings.first_index)];
    const Scenario& variant = scenario.sweep ? *scenario.sweep->variants[value] : scenario;
    SessionSettings session;
    session.index = i;
    session.runs = settings.first_index - 1 + planned;
    if (!settings.out_dir.empty()) {
      // Absolute: {run_dir} must mean the same in every process, whatever its working folder.
      session.run_dir = (std::filesystem::absolute(settings.out_dir) / ("run" + std::to_string(i)))
                            .lexically_normal()
                            .string();
    }
    session.progress = settings.progress;
    const std::unique_ptr<RunBackend> backend = settings.backend();
    report.runs.push_back(run_session(variant, *backend, session));
    if (scenario.sweep) report.runs.back().sweep_value = scenario.sweep->values[value];
    // An invalid run means the scenario cannot be measured as it stands: stop here.
    if (!report.runs.back().valid || interrupt::requested()) break;
  }
  const bool partial_sweep = scenario.sweep && !report.runs.empty() && report.all_valid() &&
                             report.runs.size() < static_cast<std::size_t>(planned);
  if (partial_sweep) {
    report.runs.back().invalidate(fmt::format(
        "the sweep stopped after {} of its {} runs (memgate was interrupted): a partial round "
        "cannot be judged",
        report.runs.size(), planned));
  }
  report.summary = summarize(report.runs);
  if (!settings.measure_speed) return report;
  const double speed_after_ms = reference_workload_ms();
  report.environment[kSpeedKey] =
      std::round(std::min(speed_before_ms, speed_after_ms) * 1000) / 1000;
  report.environment[kSpeedRangeKey] = {std::round(speed_before_ms * 1000) / 1000,
                                        std::round(speed_after_ms * 1000) / 1000};
  return report;
}

}  // namespace memgate
