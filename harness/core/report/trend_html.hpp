#pragma once

// trend-<metric>.html: one metric of one scenario across its history (memgate trend), as a
// self-contained page: the values, coloured by verdict, the flagged steps, the band a rule with
// from_history judged each check against (bands: per entry, or empty), and the table.

#include <optional>
#include <string>
#include <vector>

#include "core/report/history.hpp"
#include "core/stats/trend.hpp"

namespace memgate {

std::string render_trend_html(const std::string& scenario, const std::string& metric,
                              const std::vector<HistoryEntry>& entries,
                              const std::vector<stats::StepChange>& steps,
                              const std::optional<stats::Drift>& drift,
                              const std::vector<std::optional<std::pair<double, double>>>& bands);

}  // namespace memgate
