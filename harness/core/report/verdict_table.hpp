#pragma once

// The verdict as a table for people: one row per check, values in their units. The terminal and
// summary.md render the same rows.

#include <string>
#include <vector>

#include "core/gate/gate.hpp"

namespace memgate {

struct VerdictRow {
  std::string metric;
  std::string baseline;   // "12.1 MiB", or the budget
  std::string current;
  std::string change;     // "+2.50 MiB (+20.7%)"
  std::string threshold;
  std::string status;     // "regressed", ...
};

std::vector<VerdictRow> verdict_rows(const Verdict& verdict);

// Plain text with aligned columns (for a terminal), header first.
std::string render_text_table(const std::vector<VerdictRow>& rows);

// "PASS", "REGRESSED: peak_bytes, growth_bytes_per_min", "NO BASELINE", ...
std::string verdict_headline(const Verdict& verdict);

}  // namespace memgate
