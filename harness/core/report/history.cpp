#include "core/report/history.hpp"

#include <fmt/format.h>

#include "core/baseline/baseline.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"

namespace memgate {

std::string history_line(const Report& report, const std::string& verdict_status,
                         const std::string& commit, bool dirty) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& info : gated_metrics()) {
    if (auto v = metric_value(report.summary, info.name)) metrics[info.name] = *v;
  }
  // A sweep's figures per unit (their slopes), to follow them from check to check.
  if (!report.sweep.is_null()) {
    for (const PerUnit& f : per_unit_figures(report.runs)) {
      metrics[per_unit_metric_name(f.metric)] = f.fit.slope;
    }
  }
  nlohmann::json line = {{"time", report.created_at},
                         {"commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)},
                         {"dirty", dirty},
                         {"scenario", report.scenario},
                         {"scenario_hash", report.scenario_hash},
                         {"fingerprint", machine_fingerprint(report.environment)},
                         {"verdict", verdict_status},
                         {"runs", report.runs.size()},
                         {"memgate_version", MEMGATE_VERSION},
                         {"metrics", metrics}};
  return line.dump();
}

std::vector<HistoryEntry> parse_history(const std::string& text, const std::string& file,
                                        std::vector<std::string>& skipped) {
  std::vector<HistoryEntry> entries;
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const auto eol = text.find('\n', start);
    const std::string line = text.substr(start, eol == std::string::npos ? std::string::npos : eol - start);
    start = eol == std::string::npos ? text.size() : eol + 1;
    ++number;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("scenario") || !j["scenario"].is_string() ||
        !j.contains("metrics") || !j["metrics"].is_object()) {
      skipped.push_back(fmt::format("{}:{}: not a history entry", file, number));
      continue;
    }
    // Optional fields of another type (a report.json line has an object "verdict") read as absent.
    const auto string_field = [&j](const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    HistoryEntry e;
    e.scenario = j["scenario"];
    e.time = string_field("time");
    e.commit = string_field("commit");
    e.scenario_hash = string_field("scenario_hash");
    e.fingerprint = string_field("fingerprint");
    e.dirty = j.contains("dirty") && j["dirty"].is_boolean() && j["dirty"].get<bool>();
    e.verdict = string_field("verdict");
    for (const auto& [name, value] : j["metrics"].items()) {
      if (value.is_number() && (find_metric(name) || is_per_unit_metric(name))) {
        e.metrics[name] = value.get<double>();
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

namespace {
bool passed(const HistoryEntry& e) {
  return e.verdict == "pass" || e.verdict == "improved";
}
}  // namespace

std::vector<std::map<std::string, double>> passing_history(const std::vector<HistoryEntry>& entries,
                                                           const std::string& scenario_hash,
                                                           const std::string& fingerprint) {
  std::vector<std::map<std::string, double>> out;
  for (const HistoryEntry& e : entries) {
    if (passed(e) && e.scenario_hash == scenario_hash && e.fingerprint == fingerprint) {
      out.push_back(e.metrics);
    }
  }
  return out;
}

std::vector<std::optional<std::pair<double, double>>> history_bands(
    const std::vector<HistoryEntry>& entries, const std::string& metric, int last, int min_entries,
    double k) {
  std::vector<std::optional<std::pair<double, double>>> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const HistoryEntry& now = entries[i];
    std::vector<double> values;  // the last `last` before it, newest first
    for (std::size_t j = i; j-- > 0 && std::ssize(values) < last;) {
      const HistoryEntry& e = entries[j];
      const auto v = e.metrics.find(metric);
      if (passed(e) && e.scenario_hash == now.scenario_hash && e.fingerprint == now.fingerprint &&
          v != e.metrics.end()) {
        values.push_back(v->second);
      }
    }
    out.push_back(std::ssize(values) >= min_entries && !now.scenario_hash.empty()
                      ? std::optional(noise_band(make_series(values), k))
                      : std::nullopt);
  }
  return out;
}

}  // namespace memgate
