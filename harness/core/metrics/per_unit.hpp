#pragma once

// Memory per unit of work, from a sweep (scenario.sweep): per memory metric, the slope of the
// runs' figures against the swept value, with its 95% interval and R², and the ratio of the
// figures at the largest and the smallest value. Retained memory growing with the work done
// (the interval above 0) is a *confirmed* leak: dose and response, not one slope over time.

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/model/run_record.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

// The order of a sweep's runs: `repeat` rounds, each running every value once, round r starting
// at value r (mod the count): drift of the machine over the runs spreads over every value
// instead of looking like a slope. Indices into the values; first_round: the rounds already run
// (more runs after a first set go on where it stopped).
std::vector<std::size_t> sweep_order(std::size_t values, int repeat, int first_round = 0);

struct PerUnit {
  std::string metric;   // a memory metric: peak_bytes, plateau_bytes, residual_bytes, ...
  stats::SlopeFit fit;  // bytes per unit of the swept key
  // The median figure at the largest value over the one at the smallest (when that is above 0).
  std::optional<double> ratio;
  bool confirmed = false;  // the interval lies above 0
};

// The memory metrics of the valid runs that carry a sweep value, each fitted against it;
// metrics with fewer than two distinct values measured are left out.
std::vector<PerUnit> per_unit_figures(const std::vector<RunRecord>& runs);

// {"<metric>": {"slope", "ci95": [lo, hi] | null, "r2" | null, "ratio" | null, "runs",
//  "confirmed"}, ...}
nlohmann::json per_unit_to_json(const std::vector<PerUnit>& figures);

// A row of the per-unit table for people (summary.md, report.html), under kPerUnitColumns.
inline constexpr std::array<const char*, 6> kPerUnitColumns{
    "metric", "per unit", "95% CI", "R²", "largest / smallest", "grows with the work"};
std::array<std::string, 6> per_unit_cells(const PerUnit& figure);

// "retained_bytes: retains 16.0 KiB per op, 95% CI 15.9 KiB to 16.1 KiB; confirmed over
// 1,000-4,000 ops" for people; key: the swept key (phases.load_ops counts ops, other keys are
// named), lowest and highest: its values' range.
std::string per_unit_words(const PerUnit& figure, const std::string& key, double lowest,
                           double highest);

}  // namespace memgate
