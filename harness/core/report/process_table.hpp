#pragma once

// The processes of a run, biggest first: which process grew. The terminal (memgate watch) and the
// HTML page render the same rows.

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
  std::string plateau;  // empty when it has none (no sample of it in the load phase)
  std::string final;
};

// Whether any row has a plateau: the tables show that column only then.
bool any_plateau(const std::vector<ProcessRow>& rows);

// The `top` processes with the highest peak (all when top is 0), in that order.
std::vector<ProcessRow> top_processes(const std::vector<ProcessRecord>& processes,
                                      std::size_t top = 0);

// Plain text with aligned columns, header first; command lines cut to `command_width`.
std::string render_process_text(const std::vector<ProcessRow>& rows, std::size_t command_width = 60);

}  // namespace memgate
