#include "core/report/history.hpp"

#include <fmt/format.h>

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

}  // namespace memgate
