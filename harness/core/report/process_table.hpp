#pragma once

// The processes of a run, biggest first: which process grew. The terminal (memgate watch), the
// HTML page and summary.md render the same rows.

#include <cstddef>
#include <string>
#include <vector>

#include "core/model/run_record.hpp"

namespace memgate {

struct ProcessRow {
  std::string pid;
  std::string role;
  std::string name;
  std::string command_line;
  std::string lifetime;  // "0.05 s - 12.3 s"
  std::string peak;
  std::string final;
};

// The `top` processes with the highest peak (all when top is 0), in that order.
std::vector<ProcessRow> top_processes(const std::vector<ProcessRecord>& processes,
                                      std::size_t top = 0);

// Plain text with aligned columns, header first; command lines cut to `command_width`.
std::string render_process_text(const std::vector<ProcessRow>& rows, std::size_t command_width = 60);

}  // namespace memgate
