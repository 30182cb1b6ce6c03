#pragma once

// reports/history.jsonl: one JSON object per `memgate check` of a scenario, appended: time,
// commit, scenario, summary metrics (of a sweep, also its per_unit.<metric> slopes), verdict.
// `memgate trend` reads it back.

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/report/report.hpp"

namespace memgate {

struct HistoryEntry {
  std::string time;
  std::string commit;  // "" when unknown
  bool dirty = false;
  std::string scenario;
  std::string verdict;  // pass, regressed, ..., or "invalid"
  std::map<std::string, double> metrics;  // gated metric name -> summary value
};

// The line for a report (no newline). verdict_status: the verdict's status or "invalid".
std::string history_line(const Report& report, const std::string& verdict_status,
                         const std::string& commit, bool dirty);

// Reads history text. Lines that are not history entries (a line cut short by a crash, a hand
// edit) are skipped and named in `skipped` ("FILE:LINE: why").
std::vector<HistoryEntry> parse_history(const std::string& text, const std::string& file,
                                        std::vector<std::string>& skipped);

}  // namespace memgate
