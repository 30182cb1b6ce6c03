#include "core/report/report_reader.hpp"

#include <fmt/format.h>

#include "core/drivers/driver_kind.hpp"
#include "core/gate/gate.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"

namespace memgate {

namespace {

RunMetrics read_metrics(ObjectReader m) {
  RunMetrics out;
  constexpr double kBig = 1e18;
  for (const MetricInfo& row : metric_table()) {
    if (!row.latency_key.empty()) continue;  // in latency_ms, below
    if (const auto v = m.opt_number(row.name, row.json_min, row.json_max)) row.set(out, *v);
  }
  out.ops = m.opt_int("ops", 0, INT64_MAX).value_or(0);
  out.errors = m.opt_int("errors", 0, INT64_MAX).value_or(0);
  if (auto b = m.opt_object("backlog_jobs")) {
    BacklogSummary s;
    s.max = b->get_int("max", 0, INT64_MAX);
    s.final = b->get_int("final", 0, INT64_MAX);
    s.growth_per_min = b->get_number("growth_per_min", -kBig, kBig);
    b->reject_unknown_keys();
    out.backlog_jobs = s;
  }
  if (auto l = m.opt_object("latency_ms")) {
    for (const MetricInfo& row : metric_table()) {
      if (row.latency_key.empty()) continue;
      // Every percentile is there, but one only some load generators give (p95).
      if ((row.needs & kNeedsP95) == 0) {
        row.set(out, l->get_number(row.latency_key, row.json_min, row.json_max));
      } else if (const auto v = l->opt_number(row.latency_key, row.json_min, row.json_max)) {
        row.set(out, *v);
      }
    }
    if (!out.latency_ms) out.latency_ms.emplace();
    out.latency_ms->max_ms = l->opt_number("max", 0, kBig);
    out.latency_ms->count = l->opt_int("count", 0, INT64_MAX).value_or(0);
    l->reject_unknown_keys();
  }
  m.reject_unknown_keys();
  return out;
}

// The services' memory metrics (a gated service's are gated too); the rest of roles is for people.
std::vector<RoleMemory> read_services(ObjectReader& roles) {
  std::vector<RoleMemory> out;
  auto services = roles.opt_object("services");
  if (!services) return out;
  for (const auto& name : services->keys()) {
    ObjectReader role = services->get_object(name);
    RoleMemory memory;
    memory.role = name;
    memory.gated = role.opt_bool("gated").value_or(false);
    memory.metrics = read_metrics(role.get_object("metrics"));
    out.push_back(std::move(memory));
  }
  return out;
}

}  // namespace

ReportForGate read_report_file(const std::string& path) {
  const nlohmann::json doc = parse_json_text(read_input_file(path, 512 * 1024 * 1024), path);
  ObjectReader r(doc, "", path);
  const auto version = r.get_int("schema_version", 0, 1'000'000);
  if (version != kReportSchemaVersion) {
    r.fail("schema_version", fmt::format("schema version {} is not the {} this memgate reads",
                                         version, kReportSchemaVersion));
  }
  ReportForGate out;
  Report& report = out.report;
  report.scenario = r.get_string("scenario");
  report.scenario_hash = r.get_string("scenario_hash");
  report.driver = r.get_enum("driver", driver_kind_names());
  report.created_at = r.opt_string("created_at").value_or("");
  out.memgate_version = r.get_string("memgate_version");
  if (const nlohmann::json* verdict = r.opt_raw("verdict"); verdict && !verdict->is_null()) {
    report.verdict = *verdict;
  }
  if (const nlohmann::json* env = r.opt_raw("environment"); env && env->is_object()) {
    report.environment = *env;
  }
  const nlohmann::json* gate = r.opt_raw("gate");
  if (!gate) {
    r.fail("gate", "the report carries no gate rules", "reports written by `memgate run` or "
                                                       "`memgate check` carry them");
  }
  out.gate = gate_from_json(*gate, path, "/gate");
  if (auto sweep = r.opt_object("sweep")) {
    sweep->get_string("key");
    report.sweep = *r.opt_raw("sweep");
  }
  const nlohmann::json* runs = r.opt_raw("runs");
  if (!runs || !runs->is_array() || runs->empty()) r.fail("runs", "expected a non-empty array");
  for (std::size_t i = 0; i < runs->size(); ++i) {
    ObjectReader run((*runs)[i], json_pointer_child("/runs", std::to_string(i)), path);
    RunRecord record;
    record.index = static_cast<int>(run.opt_int("index", 1, 1'000'000).value_or(
        static_cast<std::int64_t>(i) + 1));
    const auto valid = run.opt_bool("valid");
    if (!valid) run.fail("valid", "required key 'valid' is missing (true or false)");
    record.valid = *valid;
    record.metrics = read_metrics(run.get_object("metrics"));
    record.sweep_value = run.opt_number("sweep_value", -1e18, 1e18);
    record.problems =
        run.opt_string_array("problems", 0, 10000).value_or(std::vector<std::string>{});
    record.log_tail =
        run.opt_string_array("sut_log_tail", 0, 100000).value_or(std::vector<std::string>{});
    record.log_tail_role = run.opt_string("log_tail_role").value_or(record.log_tail_role);
    if (auto roles = run.opt_object("roles")) record.services = read_services(*roles);
    report.runs.push_back(std::move(record));
  }
  report.summary = summarize(report.runs);
  return out;
}

}  // namespace memgate
