#pragma once

// Reads a report.json back (for `memgate compare` and `memgate merge`): what the gate and the
// junit report need, validated. Samples and the other per-run details are not read.

#include <string>

#include "core/report/report.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate {

struct ReportForGate {
  // scenario, hash, driver, created_at, environment, verdict (as written), runs (index, valid,
  // metrics, problems, log tail)
  Report report;
  GateSpec gate;
  std::string memgate_version;  // of the memgate that wrote it
};

// Throws InputError (exit 2) naming the file and JSON path when the report is not one memgate
// wrote (schema version, missing or mistyped fields).
ReportForGate read_report_file(const std::string& path);

}  // namespace memgate
