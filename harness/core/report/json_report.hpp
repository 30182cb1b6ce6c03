#pragma once

// report.json: the stable shape of docs/reports.md ("Report files"), read by scripts.

#include <nlohmann/json.hpp>

#include "core/report/report.hpp"

namespace memgate {

nlohmann::json metrics_to_json(const RunMetrics& metrics);
nlohmann::json run_to_json(const RunRecord& run);
nlohmann::json report_to_json(const Report& report);

}  // namespace memgate
