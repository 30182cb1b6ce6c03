#pragma once

// Report formats, one interface (as Catch2's reporters, hyperfine's exporters): each renders
// the same report (and, for check, its verdict and baseline) into one file of the report folder.
// A new format is one new file.

#include <memory>
#include <string>
#include <vector>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/report/report.hpp"

namespace memgate {

struct ExplainResult;

struct ReportContext {
  const Report& report;
  const Verdict* verdict = nullptr;    // check and compare only
  const Baseline* baseline = nullptr;  // for the baseline's band in the plot
  // memgate ab: A's runs, each plotted beside B's run of the same pair.
  const std::vector<RunRecord>* reference_runs = nullptr;
  // memgate watch: one command watched, no gate. The page says how the command ended instead of
  // "no verdict", leaves out what belongs to the gate and always lists the processes.
  bool watch = false;
  // memgate explain: the allocation sites of this run, in a section of their own.
  const ExplainResult* explain = nullptr;
};

class ReportFormat {
 public:
  virtual ~ReportFormat() = default;
  virtual std::string file_name() const = 0;
  virtual std::string render(const ReportContext& context) const = 0;
};

std::unique_ptr<ReportFormat> make_json_format();      // report.json
std::unique_ptr<ReportFormat> make_markdown_format();  // summary.md
std::unique_ptr<ReportFormat> make_junit_format();     // junit.xml
std::unique_ptr<ReportFormat> make_html_format();      // report.html

// Every format, report.json first.
std::vector<std::unique_ptr<ReportFormat>> all_report_formats();

}  // namespace memgate
