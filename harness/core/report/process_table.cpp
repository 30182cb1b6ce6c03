#include "core/report/process_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/model/units.hpp"

namespace memgate {

std::vector<ProcessRow> top_processes(const std::vector<ProcessRecord>& processes,
                                      std::size_t top) {
  std::vector<const ProcessRecord*> sorted;
  for (const auto& p : processes) sorted.push_back(&p);
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const ProcessRecord* a, const ProcessRecord* b) { return a->peak_bytes > b->peak_bytes; });
  if (top > 0 && sorted.size() > top) sorted.resize(top);
  std::vector<ProcessRow> rows;
  for (const ProcessRecord* p : sorted) {
    rows.push_back({std::to_string(p->pid), p->role, p->name, p->command_line,
                    fmt::format("{:.2f} s - {:.2f} s", p->start_ms / 1000, p->end_ms / 1000),
                    format_bytes(static_cast<double>(p->peak_bytes)),
                    p->plateau_bytes ? format_bytes(static_cast<double>(*p->plateau_bytes)) : "",
                    format_bytes(static_cast<double>(p->final_bytes))});
  }
  return rows;
}

bool any_plateau(const std::vector<ProcessRow>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [](const ProcessRow& r) { return !r.plateau.empty(); });
}

std::string render_process_text(const std::vector<ProcessRow>& rows, std::size_t command_width) {
  const bool plateau = any_plateau(rows);
  std::vector<std::vector<std::string>> table{{"pid", "role", "name", "lifetime", "peak"}};
  if (plateau) table.front().push_back("plateau");
  table.front().insert(table.front().end(), {"final", "command line"});
  for (const auto& r : rows) {
    std::string command = r.command_line;
    if (command.size() > command_width) command = command.substr(0, command_width - 3) + "...";
    table.push_back({r.pid, r.role, r.name, r.lifetime, r.peak});
    if (plateau) table.back().push_back(r.plateau.empty() ? "-" : r.plateau);
    table.back().insert(table.back().end(), {r.final, command});
  }
  std::vector<std::size_t> width(table.front().size(), 0);
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], width[i]) : row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace memgate
