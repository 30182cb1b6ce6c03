#pragma once

// Reads a report.json back (for `memgate compare`): what the gate needs, validated. Samples and
// per-run details are not read.

#include <string>

#include "core/report/report.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

struct ReportForGate {
  Report report;  // scenario, hash, driver, environment, runs (index, valid, metrics)
  GateSpec gate;
};

// Throws InputError (exit 2) naming the file and JSON path when the report is not one memgate
// wrote (schema version, missing or mistyped fields).
ReportForGate read_report_file(const std::string& path);

}  // namespace memgate
