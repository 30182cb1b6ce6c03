#include "core/baseline/baseline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"
#include "core/model/units.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

using nlohmann::json;

MetricSeries make_series(std::vector<double> values) {
  MetricSeries s;
  s.median = *stats::median(values);
  s.mad = *stats::mad(values);
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  s.values = std::move(values);
  return s;
}

std::pair<double, double> noise_band(const MetricSeries& s, double k) {
  return {s.min - k * s.mad, s.max + k * s.mad};
}

namespace {
constexpr const char* kByHand =
    "do not edit baselines by hand: create them with `memgate baseline`";

// Environments are read back from baseline and report files: a field of another type than memgate
// writes (a hand edit) counts as absent, so that reading one never throws or overflows.
std::string environment_text(const json& env, const char* key) {
  const auto it = env.find(key);
  return it != env.end() && it->is_string() ? it->get<std::string>() : "?";
}
double environment_number(const json& env, const char* key) {
  const auto it = env.find(key);
  return it != env.end() && it->is_number() ? it->get<double>() : 0.0;
}
}  // namespace

std::string cpu_model_of(const json& environment) {
  return environment_text(environment, "cpu_model");
}

std::string machine_fingerprint(const json& env) {
  const auto memory_gib =
      std::llround(environment_number(env, "memory_bytes") / (1024.0 * 1024 * 1024));
  const double cores = environment_number(env, "cores");
  const std::string identity = fmt::format("{}|{}|{}|{}", environment_text(env, "cpu_model"),
                                           std::fabs(cores) < 1e9 ? static_cast<int>(cores) : 0,
                                           memory_gib, environment_text(env, "arch"));
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : identity) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

std::map<std::string, std::vector<double>> metric_values(const std::vector<RunRecord>& runs) {
  std::map<std::string, std::vector<double>> out;
  for (const RunRecord& run : runs) {
    if (!run.valid || !stands_for_scenario(run, runs)) continue;
    for (const auto& info : gated_metrics()) {
      if (auto v = metric_value(run.metrics, info.name)) out[info.name].push_back(*v);
    }
    for (const RoleMemory& service : run.services) {
      if (!service.gated) continue;
      for (const auto& name : memory_metric_names()) {
        if (auto v = metric_value(service.metrics, name)) {
          out[service_metric_name(service.role, name)].push_back(*v);
        }
      }
    }
  }
  return out;
}

namespace {

// The metrics and repetitions of every sitting's runs together.
void pool_sittings(Baseline& b) {
  std::map<std::string, std::vector<double>> pooled;
  b.repetitions = 0;
  for (const Sitting& sitting : b.sittings) {
    b.repetitions += sitting.repetitions;
    for (const auto& [name, values] : sitting.values) {
      pooled[name].insert(pooled[name].end(), values.begin(), values.end());
    }
  }
  b.metrics.clear();
  for (auto& [name, values] : pooled) b.metrics[name] = make_series(std::move(values));
}

std::optional<double> optional_number(const json& env, const char* key) {
  const auto it = env.find(key);
  if (it == env.end() || !it->is_number() || !std::isfinite(it->get<double>())) return std::nullopt;
  return it->get<double>();
}

constexpr const char* kContentionKey = "load_contention_pct";

}  // namespace

Baseline make_baseline(const Report& report, const std::string& sut_version) {
  Baseline b;
  b.scenario = report.scenario;
  b.scenario_hash = report.scenario_hash;
  b.created_at = report.created_at;
  b.memgate_version = MEMGATE_VERSION;
  b.sut_version = sut_version;
  b.environment = report.environment;
  // How busy the machine was: a check's timing is only as fair as its baseline's.
  if (report.summary.contention_pct) {
    b.environment[kContentionKey] = *report.summary.contention_pct;
  }
  b.fingerprint = machine_fingerprint(report.environment);
  Sitting sitting;
  sitting.created_at = report.created_at;
  sitting.speed_ms = optional_number(b.environment, "speed_reference_ms");
  sitting.contention_pct = report.summary.contention_pct;
  for (const auto& run : report.runs) {
    sitting.repetitions += run.valid && stands_for_scenario(run, report.runs) ? 1 : 0;
  }
  sitting.values = metric_values(report.runs);
  b.sittings.push_back(std::move(sitting));
  pool_sittings(b);
  if (!report.sweep.is_null()) {
    for (const PerUnit& figure : per_unit_figures(report.runs))
      b.per_unit[figure.metric] = figure.fit;
  }
  return b;
}

Baseline append_sitting(const Baseline& before, const Baseline& later) {
  Baseline b = before;
  b.sittings = sittings_of(before);
  const auto added = sittings_of(later);
  b.sittings.insert(b.sittings.end(), added.begin(), added.end());
  if (b.sittings.size() > kMaxSittings) {
    b.sittings.erase(b.sittings.begin(),
                     b.sittings.end() - static_cast<std::ptrdiff_t>(kMaxSittings));
  }
  // The newest host description, tools' versions and sweep figures; the sittings keep each
  // sitting's speed and contention.
  b.environment = later.environment;
  b.memgate_version = later.memgate_version;
  if (!later.sut_version.empty()) b.sut_version = later.sut_version;
  if (!later.per_unit.empty()) b.per_unit = later.per_unit;
  pool_sittings(b);
  return b;
}

std::vector<Sitting> sittings_of(const Baseline& b) {
  if (!b.sittings.empty()) return b.sittings;
  Sitting sitting;
  sitting.created_at = b.created_at;
  sitting.repetitions = b.repetitions;
  sitting.speed_ms = optional_number(b.environment, "speed_reference_ms");
  sitting.contention_pct = optional_number(b.environment, kContentionKey);
  for (const auto& [name, series] : b.metrics) sitting.values[name] = series.values;
  return {sitting};
}

std::vector<double> sitting_medians(const Baseline& baseline, const std::string& metric) {
  std::vector<double> medians;
  for (const Sitting& sitting : sittings_of(baseline)) {
    const auto it = sitting.values.find(metric);
    if (it != sitting.values.end() && !it->second.empty()) {
      medians.push_back(*stats::median(it->second));
    }
  }
  return medians;
}

json baseline_to_json(const Baseline& b) {
  json metrics = json::object();
  for (const auto& [name, s] : b.metrics) {
    metrics[name] = {
        {"values", s.values}, {"median", s.median}, {"mad", s.mad}, {"min", s.min}, {"max", s.max}};
  }
  json out = {{"schema_version", kBaselineSchemaVersion},
              {"scenario", b.scenario},
              {"scenario_hash", b.scenario_hash},
              {"created_at", b.created_at},
              {"memgate_version", b.memgate_version},
              {"sut_version", b.sut_version},
              {"environment", b.environment},
              {"fingerprint", b.fingerprint},
              {"repetitions", b.repetitions},
              {"metrics", metrics}};
  json sittings = json::array();
  const auto number = [](const std::optional<double>& x) { return x ? json(*x) : json(); };
  for (const Sitting& sitting : sittings_of(b)) {
    sittings.push_back({{"created_at", sitting.created_at},
                        {"repetitions", sitting.repetitions},
                        {"speed_reference_ms", number(sitting.speed_ms)},
                        {kContentionKey, number(sitting.contention_pct)},
                        {"values", sitting.values}});
  }
  out["sittings"] = sittings;
  if (!b.per_unit.empty()) {
    json per_unit = json::object();
    for (const auto& [name, fit] : b.per_unit) {
      per_unit[name] = {{"slope", fit.slope},
                        {"ci95", fit.ci ? json::array({fit.ci->first, fit.ci->second}) : json()},
                        {"r2", fit.r2 ? json(*fit.r2) : json()},
                        {"runs", fit.points}};
    }
    out["per_unit"] = per_unit;
  }
  return out;
}

namespace {

// "per_unit": {"retained_bytes": {"slope": S, "ci95": [LO, HI] | null, "r2": R | null, "runs": N}}
std::map<std::string, stats::SlopeFit> read_per_unit(ObjectReader r) {
  std::map<std::string, stats::SlopeFit> out;
  for (const auto& name : per_unit_metric_names()) r.has(name);  // for "did you mean"
  for (const auto& name : r.keys()) {
    const auto names = per_unit_metric_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;  // rejected below
    ObjectReader f = r.get_object(name);
    stats::SlopeFit fit;
    fit.slope = f.get_number("slope", -1e18, 1e18);
    fit.points = static_cast<std::size_t>(f.get_int("runs", 2, 100'000));
    const json* ci = f.opt_raw("ci95");
    if (!ci) f.fail("ci95", "required key 'ci95' is missing ([low, high] or null)");
    if (!ci->is_null()) {
      if (!ci->is_array() || ci->size() != 2 || !(*ci)[0].is_number() || !(*ci)[1].is_number() ||
          (*ci)[0].get<double>() > fit.slope || (*ci)[1].get<double>() < fit.slope) {
        f.fail("ci95", "expected [low, high] around the slope, or null", kByHand);
      }
      fit.ci = std::pair{(*ci)[0].get<double>(), (*ci)[1].get<double>()};
    }
    const json* r2 = f.opt_raw("r2");
    if (r2 && !r2->is_null()) fit.r2 = f.get_number("r2", -1e18, 1);
    f.reject_unknown_keys();
    out[name] = fit;
  }
  r.reject_unknown_keys();
  return out;
}

// KEY: a non-empty array of finite numbers (one per repetition).
std::vector<double> read_values(ObjectReader& r, std::string_view key) {
  const json* values = r.opt_raw(key);
  if (!values || !values->is_array() || values->empty()) {
    r.fail(key, "expected a non-empty array of numbers (one per repetition)");
  }
  std::vector<double> v;
  for (std::size_t i = 0; i < values->size(); ++i) {
    const json& item = (*values)[i];
    if (!item.is_number() || !std::isfinite(item.get<double>())) {
      throw InputError(r.file(), json_pointer_child(r.child_path(key), std::to_string(i)),
                       "expected a number");
    }
    v.push_back(item.get<double>());
  }
  return v;
}

// "sittings": [{"created_at": T, "repetitions": N, "speed_reference_ms": MS | null,
// "load_contention_pct": PCT | null, "values": {METRIC: [...]}}], oldest first. Every metric's
// values over the sittings, in order, must be its "values" in "metrics".
std::vector<Sitting> read_sittings(ObjectReader& r, const Baseline& b) {
  std::vector<Sitting> sittings;
  const auto readers = r.get_object_array("sittings");
  if (readers.empty() || readers.size() > kMaxSittings) {
    r.fail("sittings", fmt::format("expected 1 to {} sittings", kMaxSittings), kByHand);
  }
  std::map<std::string, std::vector<double>> pooled;
  int repetitions = 0;
  for (ObjectReader s : readers) {
    Sitting sitting;
    sitting.created_at = s.get_string("created_at");
    sitting.repetitions = static_cast<int>(s.get_int("repetitions", 1, 10'000));
    for (auto [key, field] : {std::pair{"speed_reference_ms", &sitting.speed_ms},
                              {kContentionKey, &sitting.contention_pct}}) {
      const json* x = s.opt_raw(key);
      if (x && !x->is_null()) *field = s.get_number(key, 0, 1e12);
    }
    ObjectReader values = s.get_object("values");
    for (const auto& name : values.keys()) {
      if (!b.metrics.count(name)) {
        values.fail(name, "a metric the baseline's \"metrics\" does not have", kByHand);
      }
      values.has(name);
      sitting.values[name] = read_values(values, name);
      auto& all = pooled[name];
      all.insert(all.end(), sitting.values[name].begin(), sitting.values[name].end());
    }
    values.reject_unknown_keys();
    s.reject_unknown_keys();
    repetitions += sitting.repetitions;
    sittings.push_back(std::move(sitting));
  }
  if (repetitions != b.repetitions) {
    r.fail("sittings",
           fmt::format("its sittings have {} repetitions, the baseline {}", repetitions,
                       b.repetitions),
           kByHand);
  }
  for (const auto& [name, series] : b.metrics) {
    if (pooled[name] != series.values) {
      r.fail("sittings",
             fmt::format("the sittings' values of {} are not its values in "
                         "\"metrics\"",
                         name),
             kByHand);
    }
  }
  return sittings;
}

}  // namespace

Baseline baseline_from_json(const json& document, const std::string& file) {
  ObjectReader r(document, "", file);
  const auto version = r.get_int("schema_version", 0, 1'000'000);
  if (version != kBaselineSchemaVersion) {
    r.fail("schema_version",
           fmt::format("schema version {} is not the {} this memgate reads", version,
                       kBaselineSchemaVersion),
           "create it again with `memgate baseline` (or `make baselines`)");
  }
  Baseline b;
  b.scenario = r.get_string("scenario");
  b.scenario_hash = r.get_string("scenario_hash");
  b.created_at = r.opt_string("created_at").value_or("");
  b.memgate_version = r.opt_string("memgate_version").value_or("");
  b.sut_version = r.opt_string("sut_version").value_or("");
  if (const json* env = r.opt_raw("environment")) {
    if (!env->is_object()) r.fail("environment", "expected an object");
    b.environment = *env;
  }
  b.fingerprint = r.opt_string("fingerprint").value_or(machine_fingerprint(b.environment));
  b.repetitions = static_cast<int>(r.get_int("repetitions", 1, 10'000));
  ObjectReader metrics = r.get_object("metrics");
  for (const auto& name : gated_metric_names()) metrics.has(name);  // for "did you mean"
  for (const auto& name : metrics.keys()) {
    if (!find_metric(name)) continue;  // unknown: rejected below
    auto m = metrics.opt_object(name);
    std::vector<double> v = read_values(*m, "values");
    if (v.size() > static_cast<std::size_t>(b.repetitions)) {
      m->fail("values", fmt::format("{} values, more than the baseline's {} repetitions", v.size(),
                                    b.repetitions));
    }
    MetricSeries s = make_series(v);
    // The stored figures must be those of the values: a hand edit of one without the other
    // would make the gate compare against numbers nobody measured.
    for (const auto& [key, expected] :
         {std::pair{"median", s.median}, {"mad", s.mad}, {"min", s.min}, {"max", s.max}}) {
      const double stored = m->get_number(key, -1e300, 1e300);
      if (std::fabs(stored - expected) > 1e-6 * std::max(1.0, std::fabs(expected))) {
        m->fail(key, fmt::format("{} is not the {} of the values ({})", stored, key, expected),
                kByHand);
      }
    }
    m->reject_unknown_keys();
    b.metrics[name] = std::move(s);
  }
  metrics.reject_unknown_keys();
  if (auto per_unit = r.opt_object("per_unit")) b.per_unit = read_per_unit(*per_unit);
  if (r.has("sittings")) {
    b.sittings = read_sittings(r, b);
  } else {
    b.sittings = sittings_of(b);  // made before sittings were kept: one
  }
  r.reject_unknown_keys();
  return b;
}

Baseline read_baseline_file(const std::string& path) {
  const std::string text = read_input_file(path, 16 * 1024 * 1024);
  return baseline_from_json(parse_json_text(text, path), path);
}

void write_baseline_file(const std::string& path, const Baseline& baseline) {
  write_file_atomic(path, baseline_to_json(baseline).dump(1) + "\n");
}

std::vector<std::string> describe_changes(const Baseline& before, const Baseline& after) {
  std::vector<std::string> lines;
  if (before.scenario_hash != after.scenario_hash) {
    lines.push_back("the scenario changed since the previous baseline");
  }
  if (before.fingerprint != after.fingerprint) {
    lines.push_back(fmt::format("measured on another machine class ({} -> {})",
                                cpu_model_of(before.environment), cpu_model_of(after.environment)));
  }
  for (const auto& [name, now] : after.metrics) {
    const auto old = before.metrics.find(name);
    const MetricInfo* info = find_metric(name);
    // Explicit init-capture: clang before 16 cannot capture a structured binding (P1091).
    const auto show = [&, &metric = name](double v) {
      return info ? format_metric(metric, v) : fmt::format("{:.4g}", v);
    };
    if (old == before.metrics.end()) {
      lines.push_back(fmt::format("{}: new, {}", name, show(now.median)));
      continue;
    }
    const double was = old->second.median;
    const std::string pct =
        was != 0 ? fmt::format(" ({:+.1f}%)", (now.median - was) / std::fabs(was) * 100)
                 : std::string();
    lines.push_back(fmt::format("{}: {} -> {}{}", name, show(was), show(now.median), pct));
  }
  for (const auto& [name, now] : after.per_unit) {
    const auto old = before.per_unit.find(name);
    const std::string metric = per_unit_metric_name(name);
    lines.push_back(old == before.per_unit.end()
                        ? fmt::format("{}: new, {}", metric, format_metric(metric, now.slope))
                        : fmt::format("{}: {} -> {}", metric,
                                      format_metric(metric, old->second.slope),
                                      format_metric(metric, now.slope)));
  }
  return lines;
}

}  // namespace memgate
