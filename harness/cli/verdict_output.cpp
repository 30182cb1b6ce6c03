#include "cli/verdict_output.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "cli/console.hpp"
#include "core/report/verdict_table.hpp"

namespace memgate::cli {

void print_verdict(const std::string& scenario, const Verdict& verdict,
                   const std::string& scenario_file, const std::string& baselines_dir) {
  print("{}: {}\n", scenario, verdict_headline(verdict));
  if (!verdict.checks.empty()) {
    std::string table = render_text_table(verdict_rows(verdict));
    std::string indented;
    for (std::size_t start = 0, eol; start < table.size(); start = eol + 1) {
      eol = table.find('\n', start);
      indented += "  " + table.substr(start, eol - start) + "\n";
    }
    print("{}", indented);
  }
  for (const auto& note : verdict.notes) print("  note: {}\n", note);
  const bool missing = verdict.status == VerdictStatus::no_baseline;
  const bool stale = verdict.status == VerdictStatus::stale_baseline;
  if (missing || stale) {
    print("  {}: create it with `memgate baseline {} --baselines {}` (or `make baselines`)\n",
          missing ? "no baseline" : "the scenario changed since its baseline", scenario_file,
          baselines_dir);
  }
}

std::string baseline_path(const std::string& baselines_dir, const std::string& scenario) {
  return (std::filesystem::path(baselines_dir) / (scenario + ".json")).string();
}

}  // namespace memgate::cli
