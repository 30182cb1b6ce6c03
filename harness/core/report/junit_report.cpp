// junit.xml: one test case per scenario x gated metric, a failure carrying the numbers for a
// regression, an error for an invalid run, skipped when there is no verdict (no or stale
// baseline, inconclusive).

#include <fmt/format.h>

#include "core/report/report_format.hpp"
#include "core/report/verdict_table.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

namespace {

class JunitFormat : public ReportFormat {
 public:
  std::string file_name() const override { return "junit.xml"; }

  std::string render(const ReportContext& c) const override {
    const Report& r = c.report;
    struct Case {
      std::string name, kind, message, details;  // kind: "", failure, error, skipped
    };
    std::vector<Case> cases;
    for (const auto& run : r.runs) {
      if (run.valid) continue;
      std::string details;
      for (const auto& p : run.problems) details += p + "\n";
      if (!run.log_tail.empty()) details += "last lines of " + run.log_tail_role + "'s output:\n";
      for (const auto& line : run.log_tail) details += "| " + line + "\n";
      cases.push_back({fmt::format("run {}", run.index), "error",
                       fmt::format("run {} is not valid: {}", run.index,
                                   run.problems.empty() ? "" : run.problems.front()),
                       details});
    }
    if (c.verdict && r.all_valid()) {
      const auto rows = verdict_rows(*c.verdict);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const Check& check = c.verdict->checks[i];
        const auto& row = rows[i];
        Case tc{check.budget ? row.metric + " (budget)" : row.metric, "", "", ""};
        const std::string numbers = fmt::format(
            "baseline {}, current {}, change {}, threshold {}: {}", row.baseline, row.current,
            row.change, row.threshold, check.reason);
        if (check.status == CheckStatus::regressed) {
          tc.kind = "failure";
          tc.message = fmt::format("{} regressed: {}", row.metric, row.change);
          tc.details = numbers;
        } else if (check.status == CheckStatus::inconclusive ||
                   check.status == CheckStatus::no_baseline ||
                   check.status == CheckStatus::no_data) {
          tc.kind = "skipped";
          tc.message = fmt::format("{}: {}", to_string(check.status), check.reason);
        } else {
          tc.details = numbers;
        }
        cases.push_back(std::move(tc));
      }
      if (c.verdict->checks.empty() || c.verdict->status == VerdictStatus::no_baseline ||
          c.verdict->status == VerdictStatus::stale_baseline) {
        cases.push_back({"baseline", "skipped",
                         fmt::format("{}: create it with memgate baseline", to_string(c.verdict->status)),
                         ""});
      }
    } else if (r.all_valid()) {
      cases.push_back({"run", "", "", "measured; no verdict (memgate run)"});
    }
    int failures = 0, errors = 0, skipped = 0;
    for (const auto& tc : cases) {
      failures += tc.kind == "failure";
      errors += tc.kind == "error";
      skipped += tc.kind == "skipped";
    }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    XmlWriter xml(out);
    xml.start("testsuites").attr("name", "memgate").attr("tests", static_cast<double>(cases.size()))
        .attr("failures", failures).attr("errors", errors).attr("skipped", skipped).newline();
    xml.start("testsuite").attr("name", r.scenario).attr("tests", static_cast<double>(cases.size()))
        .attr("failures", failures).attr("errors", errors).attr("skipped", skipped)
        .attr("timestamp", r.created_at).newline();
    for (const auto& tc : cases) {
      xml.start("testcase").attr("classname", "memgate." + r.scenario).attr("name", tc.name);
      if (!tc.kind.empty()) {
        xml.start(tc.kind).attr("message", tc.message);
        if (tc.kind != "skipped") xml.attr("type", tc.kind == "failure" ? "regressed" : "invalid-run");
        if (!tc.details.empty()) xml.text(tc.details);
        xml.end();
      } else if (!tc.details.empty()) {
        xml.element("system-out", tc.details);
      }
      xml.end().newline();
    }
    xml.end().newline();
    xml.end().newline();
    return out;
  }
};

}  // namespace

std::unique_ptr<ReportFormat> make_junit_format() { return std::make_unique<JunitFormat>(); }

}  // namespace memgate
