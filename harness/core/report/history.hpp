#pragma once

// reports/history.jsonl: one JSON object per `memgate check` of a scenario, appended: time,
// commit, scenario, its hash, the machine class (fingerprint), summary metrics (of a sweep, also
// its per_unit.<metric> slopes), verdict. `memgate trend` reads it back; so does `check`, for
// rules that take their reference from the history (from_history).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/report/report.hpp"

namespace memgate {

// The largest history file memgate reads.
constexpr long long kMaxHistoryBytes = 1024LL * 1024 * 1024;

struct HistoryEntry {
  std::string time;
  std::string commit;  // "" when unknown
  bool dirty = false;
  std::string scenario;
  std::string scenario_hash;  // "" in lines of an older memgate
  std::string fingerprint;    // the machine class (machine_fingerprint); "" in older lines
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

// The metrics of the entries whose check passed (pass or improved) for this scenario hash on
// this machine class, oldest first: what a rule with from_history compares with.
std::vector<std::map<std::string, double>> passing_history(const std::vector<HistoryEntry>& entries,
                                                           const std::string& scenario_hash,
                                                           const std::string& fingerprint);

// The band a rule with from_history (the last `last` passing checks, at least `min_entries`;
// noise_band with k) gave each entry's check of `metric`: from the entries before it of the
// same scenario hash and machine class. nullopt where there were too few.
std::vector<std::optional<std::pair<double, double>>> history_bands(
    const std::vector<HistoryEntry>& entries, const std::string& metric, int last, int min_entries,
    double k);

}  // namespace memgate
