#include "core/report/json_report.hpp"

#include <cmath>

#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"

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
  for (const MetricInfo& row : metric_table()) {
    if (!row.latency_key.empty()) continue;  // in latency_ms, below
    const auto v = row.get(m);
    if (!v) continue;
    if (row.unit == Unit::bytes) {
      out[row.name] = static_cast<std::int64_t>(*v);
    } else {
      out[row.name] = round3(*v);
    }
  }
  if (m.latency_ms) {
    const LatencySummary& l = *m.latency_ms;
    json& latency = out["latency_ms"];
    for (const MetricInfo& row : metric_table()) {
      if (row.latency_key.empty()) continue;
      if (const auto v = row.get(m)) latency[row.latency_key] = round_ms(*v);
    }
    if (l.max_ms) latency["max"] = round_ms(*l.max_ms);
    latency["count"] = l.count;
  }
  if (m.backlog_jobs) {
    out["backlog_jobs"] = {{"max", m.backlog_jobs->max},
                           {"final", m.backlog_jobs->final},
                           {"growth_per_min", round3(m.backlog_jobs->growth_per_min)}};
  }
  out["ops"] = m.ops;
  out["errors"] = m.errors;
  return out;
}

namespace {

// "samples": [[t_ms, bytes], ...] (the contract's shape) and, when the kinds were read,
// "anon_samples": [[t_ms, anon_bytes], ...] at the same times, into `out`.
void put_samples(json& out, const Series& series) {
  json samples = json::array(), anon = json::array();
  bool any_anon = false;
  for (const auto& s : series) {
    samples.push_back(json::array({round_ms(s.t_ms), s.bytes}));
    anon.push_back(json::array({round_ms(s.t_ms), s.anon_bytes}));
    any_anon = any_anon || s.anon_bytes > 0;
  }
  out["samples"] = std::move(samples);
  if (any_anon) out["anon_samples"] = std::move(anon);
}

json peak_to_json(const PeakDetail& p) {
  json peak = {{"max_sample_bytes", p.max_sample_bytes},
               {"hwm_peak_bytes", p.hwm_peak_bytes},
               {"exit_peak_bytes", p.exit_peak_bytes},
               {"hwm_complete", p.hwm_complete}};
  if (p.cgroup_peak_bytes) peak["cgroup_peak_bytes"] = *p.cgroup_peak_bytes;
  return peak;
}

json role_to_json(const RoleMemory& s) {
  json role = {{"gated", s.gated},
               {"metrics", metrics_to_json(s.metrics)},
               {"peak", peak_to_json(s.peak)},
               {"max_processes", s.max_processes}};
  put_samples(role, s.samples);
  if (s.exit) role["exit"] = *s.exit;
  if (!s.figures.empty()) role["figures"] = s.figures;
  return role;
}

// runs[].roles: the SUT's memory (its samples are the run's own), each service's, and the load
// command's.
json roles_to_json(const RunRecord& run) {
  json sut = {{"metrics", metrics_to_json(run.metrics)},
              {"peak", peak_to_json(run.peak)},
              {"max_processes", run.max_processes}};
  if (!run.sut_figures.empty()) sut["figures"] = run.sut_figures;
  json services = json::object();
  for (const RoleMemory& s : run.services) services[s.role] = role_to_json(s);
  json roles = {{"sut", sut}, {"services", services}};
  if (run.load) roles["load"] = role_to_json(*run.load);
  return roles;
}

json cpu_to_json(const std::vector<PhaseCpu>& phases) {
  json out = json::array();
  for (const PhaseCpu& c : phases) {
    out.push_back({{"phase", c.phase},
                   {"elapsed_ms", round_ms(c.elapsed_ms)},
                   {"cpus", c.cpus},
                   {"sut_ms", round3(c.sut_ms)},
                   {"services_ms", round3(c.services_ms)},
                   {"load_ms", round3(c.load_ms)},
                   {"memgate_ms", round3(c.memgate_ms)},
                   {"others_pct", round3(c.others_pct)},
                   {"steal_pct", round3(c.steal_pct)}});
  }
  return out;
}

json processes_to_json(const std::vector<ProcessRecord>& processes) {
  json out = json::array();
  for (const ProcessRecord& p : processes) {
    out.push_back({{"pid", p.pid},
                   {"role", p.role},
                   {"name", p.name},
                   {"command_line", p.command_line},
                   {"start_ms", round_ms(p.start_ms)},
                   {"end_ms", round_ms(p.end_ms)},
                   {"peak_bytes", p.peak_bytes},
                   {"final_bytes", p.final_bytes}});
    if (p.plateau_bytes) out.back()["plateau_bytes"] = *p.plateau_bytes;
  }
  return out;
}

}  // namespace

json run_to_json(const RunRecord& run) {
  json phases = json::array();
  for (const auto& p : run.phases) {
    phases.push_back({{"name", p.name}, {"start_ms", round_ms(p.start_ms)},
                      {"end_ms", round_ms(p.end_ms)}});
  }
  json out = {{"index", run.index},
              {"valid", run.valid},
              {"problems", run.problems},
              {"warnings", run.warnings},
              {"metrics", metrics_to_json(run.metrics)},
              {"peak", peak_to_json(run.peak)},
              {"watch",
               {{"interval_ms", run.interval_ms},
                {"memory", run.memory_kind},
                {"exact_peak", run.exact_peak},
                {"max_processes", run.max_processes},
                {"late_ticks", run.late_ticks}}},
              {"phases", phases},
              {"roles", roles_to_json(run)},
              {"cpu", cpu_to_json(run.cpu)},
              {"processes", processes_to_json(run.processes)}};
  put_samples(out, run.samples);
  if (run.sut_exit) out["sut_exit"] = *run.sut_exit;
  if (run.sut_exit_status) out["sut_exit_status"] = *run.sut_exit_status;
  if (run.sweep_value) out["sweep_value"] = *run.sweep_value;
  if (!run.log_tail.empty()) {
    out["sut_log_tail"] = run.log_tail;  // the name scripts read, whoever's lines they are
    out["log_tail_role"] = run.log_tail_role;
  }
  if (!run.driver.empty()) out["driver"] = run.driver;
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
  if (!report.notes.empty()) out["notes"] = report.notes;
  if (!report.gate.is_null()) out["gate"] = report.gate;
  if (!report.sweep.is_null()) {
    out["sweep"] = report.sweep;
    out["per_unit"] = per_unit_to_json(per_unit_figures(report.runs));
  }
  if (!report.verdict.is_null()) out["verdict"] = report.verdict;
  return out;
}

}  // namespace memgate
