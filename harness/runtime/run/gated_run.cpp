#include "runtime/run/gated_run.hpp"

#include <fmt/format.h>

#include "runtime/process/interrupt.hpp"

namespace memgate {

Verdict gate_report(const Report& report, const GateSpec& gate, const Baseline* baseline) {
  GateInputs in;
  in.spec = &gate;
  in.baseline = baseline;
  in.scenario_hash = report.scenario_hash;
  in.fingerprint = machine_fingerprint(report.environment);
  in.current = metric_values(report.runs);
  return evaluate_gate(in);
}

GatedRun run_and_gate(const Scenario& scenario, const Baseline* baseline,
                      const RunSettings& settings) {
  GatedRun out;
  out.report = run_scenario(scenario, settings);
  if (!out.report.all_valid()) return out;
  Verdict verdict = gate_report(out.report, scenario.gate, baseline);
  while (needs_rerun(verdict) && out.reruns < scenario.gate.max_reruns && !interrupt::requested()) {
    ++out.reruns;
    RunSettings more = settings;
    more.first_index = static_cast<int>(out.report.runs.size()) + 1;
    if (settings.progress) {
      ProgressEvent note;
      note.kind = ProgressEvent::Kind::run_end;
      note.run = more.first_index - 1;
      note.runs = more.first_index - 1;
      note.note = fmt::format("too close to call: rerun {} of at most {}", out.reruns,
                              scenario.gate.max_reruns);
      settings.progress(note);
    }
    Report extra = run_scenario(scenario, more);
    for (auto& run : extra.runs) out.report.runs.push_back(std::move(run));
    out.report.summary = summarize(out.report.runs);
    if (!out.report.all_valid()) return out;
    verdict = gate_report(out.report, scenario.gate, baseline);
  }
  nlohmann::json v = verdict_to_json(verdict);
  v["reruns"] = out.reruns;
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
