#pragma once

// Writing a scenario's report files and printing its summary: shared by run, check, baseline.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/baseline/baseline.hpp"
#include "core/explain/explain_report.hpp"
#include "core/gate/gate.hpp"
#include "core/report/report.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

// Where a scenario's report files go: --out as given for one scenario, --out/<name> for
// several, REPORTS_ROOT/<name> without --out (reports/, or the project's reports folder). Creates
// the folder and writes a probe file into it (output_folders.hpp: exit 3 when it takes none).
std::string report_dir(const std::string& out_option, std::size_t scenario_count,
                       const std::string& scenario_name, const std::string& reports_root);

// Makes sure a report file can be written at `path` (given with `option`, e.g. "--out"), before
// anything runs: creates its missing parent folders and writes a probe file beside it. Nothing
// for an empty path. Throws UsageError (exit 2) naming the option, the path and what is wrong: a
// folder given as the file, a parent that is a file or cannot be created, a folder that takes no
// file, a path that is not a regular file (a device: writing replaces it).
void check_report_file(const std::string& path, const std::string& option);

// Writes every report format (report.json, summary.md, junit.xml, report.html) into dir as one
// set (text_file.hpp: write_file_set_atomic): a failure leaves the previous set whole. Returns
// the path of report.html.
std::string write_reports(const Report& report, const Verdict* verdict, const Baseline* baseline,
                          const std::string& dir,
                          const std::vector<RunRecord>* reference_runs = nullptr,
                          const ExplainResult* explain = nullptr);

// write_reports for a command that goes on when the files cannot be written (a full disk): the
// error is printed, the previous set is left whole, and nullopt says the command's exit code
// must say so (3).
std::optional<std::string> try_write_reports(const Report& report, const Verdict* verdict,
                                             const Baseline* baseline, const std::string& dir);

// Appends a check's line to the history file at `path` (nothing for "" or "none"), whole or not
// at all (text_file.hpp: append_line); a repaired last line is a warning. A failure is printed
// with the hint --history none and returns false (exit code 3).
bool try_append_history(const std::string& path, const std::string& line);

// The metrics of a report, one line each, for people (stderr).
void print_summary(const Report& report);

// The runs that were not valid: why, and the SUT's log tail.
void print_invalid_runs(const Report& report);

// Progress on stderr: on a terminal one line per phase, updated in place every second with the
// elapsed time, ops/s and memory; without one (CI) one plain line per phase.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}
  void operator()(const std::string& scenario, const ProgressEvent& event);

 private:
  bool terminal_;
  bool line_open_ = false;
  std::int64_t last_ops_ = 0;
  double last_elapsed_s_ = 0;
};

// The settings of one scenario's runs: reports into dir, `repeat` repetitions, progress through
// `progress` (which must outlive the runs) unless quiet.
RunSettings run_settings(const std::string& dir, int repeat, bool quiet, ProgressPrinter& progress,
                         const std::string& scenario_name);

// Changes the history file at `path` with `write` (given the path), after creating its folder;
// nothing when path is "" or "none". A failure is a RunError (exit 3) that says how to do
// without a history: --history none.
void update_history(const std::string& path, const std::function<void(const std::string&)>& write);

// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace memgate::cli
