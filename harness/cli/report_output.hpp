#pragma once

// Writing a scenario's report files and printing its summary: shared by run, check, baseline.

#include <string>
#include <vector>

#include "core/report/report.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

// Where a scenario's report files go: --out as given for one scenario, --out/<name> for
// several, reports/<name> without --out. Creates the folder.
std::string report_dir(const std::string& out_option, std::size_t scenario_count,
                       const std::string& scenario_name);

// Writes report.json into dir (atomically); returns its path.
std::string write_report_json(const Report& report, const std::string& dir);

// The metrics of a report, one line each, for people (stderr).
void print_summary(const Report& report);

// The runs that were not valid: why, and the SUT's log tail.
void print_invalid_runs(const Report& report);

// Progress lines (one per phase) on stderr.
void print_progress(const std::string& scenario, const ProgressEvent& event);

}  // namespace memgate::cli
