#include "runtime/run/gated_run.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

void note(const RunSettings& settings, int after_run, const std::string& text) {
  if (!settings.progress) return;
  ProgressEvent e;
  e.kind = ProgressEvent::Kind::run_end;
  e.run = e.runs = after_run;
  e.note = text;
  settings.progress(e);
}

// Runs `count` more repetitions and pools them with the report's.
void run_more(const Scenario& scenario, const RunSettings& settings, int count, Report& report) {
  RunSettings more = settings;
  more.first_index = static_cast<int>(report.runs.size()) + 1;
  more.repeat = count;
  Report extra = run_scenario(scenario, more);
  for (auto& run : extra.runs) report.runs.push_back(std::move(run));
  report.summary = summarize(report.runs);
  // The host's speed over all the runs: the least disturbed measurement.
  if (extra.environment.contains(kSpeedKey)) {
    const double now = extra.environment[kSpeedKey].get<double>();
    report.environment[kSpeedKey] = std::min(report.environment.value(kSpeedKey, now), now);
  }
}

}  // namespace

GatedRun run_and_gate(const Scenario& scenario, const Baseline* baseline,
                      const RunSettings& settings, const std::vector<HistoryEntry>& history) {
  GatedRun out;
  // A clear answer after a few runs needs no more (kEarlyRuns); a close one gets them all.
  RunSettings first = settings;
  first.repeat = settings.early_stop ? std::min(settings.repeat, kEarlyRuns) : settings.repeat;
  out.report = run_scenario(scenario, first);
  if (!out.report.all_valid()) return out;
  Verdict verdict = gate_report(out.report, scenario.gate, baseline, history);
  const int left = settings.repeat - first.repeat;
  if (left > 0 && !interrupt::requested()) {
    if (answer_is_clear(gate_inputs(out.report, scenario.gate, baseline, history), verdict)) {
      out.stopped_early = true;
      note(settings, static_cast<int>(out.report.runs.size()),
           fmt::format("clear after {} of {} {}: the rest are skipped", first.repeat,
                       settings.repeat, scenario.sweep ? "rounds of the sweep" : "runs"));
    } else {
      run_more(scenario, settings, left, out.report);
      if (!out.report.all_valid()) return out;
      verdict = gate_report(out.report, scenario.gate, baseline, history);
    }
  }
  while (needs_rerun(verdict) && out.reruns < scenario.gate.max_reruns && !interrupt::requested()) {
    ++out.reruns;
    note(settings, static_cast<int>(out.report.runs.size()),
         fmt::format("too close to call: rerun {} of at most {}", out.reruns,
                     scenario.gate.max_reruns));
    run_more(scenario, settings, settings.repeat, out.report);
    if (!out.report.all_valid()) return out;
    verdict = gate_report(out.report, scenario.gate, baseline, history);
  }
  nlohmann::json v = verdict_to_json(verdict);
  v["reruns"] = out.reruns;
  v["runs_planned"] =
      settings.repeat * (scenario.sweep ? static_cast<int>(scenario.sweep->values.size()) : 1);
  v["stopped_early"] = out.stopped_early;
  if (baseline) {
    v["baseline"] = {{"created_at", baseline->created_at},
                     {"repetitions", baseline->repetitions},
                     {"sut_version", baseline->sut_version},
                     {"memgate_version", baseline->memgate_version}};
  }
  out.report.verdict = v;
  out.verdict = std::move(verdict);
  return out;
}

}  // namespace memgate
