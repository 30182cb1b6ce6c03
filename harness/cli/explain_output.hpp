#pragma once

// `memgate explain`'s steps shared with `memgate baseline --profile`: run the scenario under the
// tool (with memgate's environment handed to the runtime), stamp the profile, write explain.json,
// explain.md, explain.html and the run's own reports into one folder, and say it on the console.

#include <optional>
#include <string>

#include "cli/report_output.hpp"
#include "core/explain/explain_report.hpp"
#include "core/model/exit_code.hpp"
#include "core/scenario/scenario.hpp"

namespace memgate::cli {

struct ExplainRunOptions {
  std::string out_dir;  // where everything goes (created)
  bool quiet = false;
  int caller_depth = kDefaultCallerDepth;  // explain --depth
};

// One explained run: the profile (no comparison yet) and the run's own report, when it ran.
struct ExplainRun {
  ExplainResult result;
  std::optional<Report> report;
  bool run_valid = true;
};

// Runs the scenario once under heaptrack or tracemalloc. Throws RunError (exit 3) when the tool
// is missing or fails.
ExplainRun explain_scenario(const Scenario& scenario, const ExplainRunOptions& options,
                            ProgressPrinter& progress);

// Writes explain.json, explain.md, explain.html and the run's own reports (its report.html with
// the allocation sites) into dir, each atomically. Returns the path of explain.html.
std::string write_explain_outputs(const ExplainRun& run, const std::string& dir);

// Exit code of an explanation: 3 when nothing could be profiled (tool "none", or no site for a
// note's reason) or the run was not valid, else 0.
ExitCode explain_exit_code(const ExplainRun& run);

}  // namespace memgate::cli
