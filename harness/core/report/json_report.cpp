#include "core/report/json_report.hpp"

#include <cmath>

namespace memgate {

using nlohmann::json;

namespace {

// Milliseconds to 3 decimals (µs): enough for 1 ms sampling, without float noise in the file.
double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

// Rates and slopes to 3 decimals.
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

json metrics_to_json(const RunMetrics& m) {
  json out = json::object();
  const auto put = [&](const char* key, const auto& value) {
    if (value) out[key] = *value;
  };
  put("idle_bytes", m.idle_bytes);
  put("peak_bytes", m.peak_bytes);
  put("plateau_bytes", m.plateau_bytes);
  put("residual_bytes", m.residual_bytes);
  put("retained_bytes", m.retained_bytes);
  if (m.growth_bytes_per_min) out["growth_bytes_per_min"] = round3(*m.growth_bytes_per_min);
  if (m.throughput_per_s) out["throughput_per_s"] = round3(*m.throughput_per_s);
  if (m.latency_ms) {
    out["latency_ms"] = {{"p50", round_ms(m.latency_ms->p50_ms)},
                         {"p95", round_ms(m.latency_ms->p95_ms)},
                         {"p99", round_ms(m.latency_ms->p99_ms)},
                         {"max", round_ms(m.latency_ms->max_ms)},
                         {"count", m.latency_ms->count}};
  }
  out["ops"] = m.ops;
  out["errors"] = m.errors;
  return out;
}

json run_to_json(const RunRecord& run) {
  json phases = json::array();
  for (const auto& p : run.phases) {
    phases.push_back({{"name", p.name}, {"start_ms", round_ms(p.start_ms)},
                      {"end_ms", round_ms(p.end_ms)}});
  }
  json samples = json::array();
  for (const auto& s : run.samples) samples.push_back(json::array({round_ms(s.t_ms), s.bytes}));
  json peak = {{"max_sample_bytes", run.peak.max_sample_bytes},
               {"hwm_peak_bytes", run.peak.hwm_peak_bytes},
               {"exit_peak_bytes", run.peak.exit_peak_bytes},
               {"hwm_complete", run.peak.hwm_complete}};
  if (run.peak.cgroup_peak_bytes) peak["cgroup_peak_bytes"] = *run.peak.cgroup_peak_bytes;
  json out = {{"index", run.index},
              {"valid", run.valid},
              {"problems", run.problems},
              {"warnings", run.warnings},
              {"metrics", metrics_to_json(run.metrics)},
              {"peak", peak},
              {"watch", {{"interval_ms", run.interval_ms},
                         {"memory", run.memory_kind},
                         {"max_processes", run.max_processes},
                         {"late_ticks", run.late_ticks}}},
              {"phases", phases},
              {"samples", samples}};
  if (run.sut_exit) out["sut_exit"] = *run.sut_exit;
  if (!run.sut_log_tail.empty()) out["sut_log_tail"] = run.sut_log_tail;
  if (!run.driver.empty()) out["driver"] = run.driver;
  if (!run.sut_figures.empty()) out["sut_figures"] = run.sut_figures;
  return out;
}

json report_to_json(const Report& report) {
  json runs = json::array();
  for (const auto& run : report.runs) runs.push_back(run_to_json(run));
  json out = {{"schema_version", kReportSchemaVersion},
              {"scenario", report.scenario},
              {"description", report.description},
              {"scenario_hash", report.scenario_hash},
              {"driver", report.driver},
              {"created_at", report.created_at},
              {"memgate_version", MEMGATE_VERSION},
              {"environment", report.environment},
              {"valid", report.all_valid()},
              {"warnings", report.warnings},
              {"metrics", metrics_to_json(report.summary)},
              {"runs", runs}};
  if (!report.gate.is_null()) out["gate"] = report.gate;
  if (!report.verdict.is_null()) out["verdict"] = report.verdict;
  return out;
}

}  // namespace memgate
