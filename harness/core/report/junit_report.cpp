// junit.xml: one test case per scenario x gated metric, a failure carrying the numbers for a
// regression, an error for an invalid run, skipped when there is no verdict (no or stale
// baseline, inconclusive).

#include <fmt/format.h>

#include "core/report/junit.hpp"
#include "core/report/verdict_table.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

namespace {

struct Counts {
  int failures = 0, errors = 0, skipped = 0;
  explicit Counts(const std::vector<JunitCase>& cases) {
    for (const auto& tc : cases) {
      failures += tc.kind == "failure";
      errors += tc.kind == "error";
      skipped += tc.kind == "skipped";
    }
  }
};

class JunitFormat : public ReportFormat {
 public:
  std::string file_name() const override { return "junit.xml"; }
  std::string render(const ReportContext& c) const override {
    return render_junit({junit_suite(c)});
  }
};

}  // namespace

JunitSuite junit_suite(const ReportContext& c) {
  const Report& r = c.report;
  JunitSuite suite{r.scenario, r.created_at, {}};
  std::vector<JunitCase>& cases = suite.cases;
  for (const auto& run : r.runs) {
    if (run.valid) continue;
    std::string details;
    for (const auto& p : run.problems) details += p + "\n";
    if (!run.log_tail.empty()) details += "last lines of " + run.log_tail_role + "'s output:\n";
    for (const auto& line : run.log_tail) details += "| " + line + "\n";
    cases.push_back({fmt::format("run {}", run.index), "error",
                     fmt::format("run {} is not valid: {}", run.index,
                                 run.problems.empty() ? "" : run.problems.front()),
                     details, ""});
  }
  if (c.verdict && r.all_valid()) {
    const auto rows = verdict_rows(*c.verdict);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Check& check = c.verdict->checks[i];
      const auto& row = rows[i];
      JunitCase tc{check.budget ? row.metric + " (budget)" : row.metric, "", "", "", ""};
      const std::string numbers =
          fmt::format("baseline {}, current {}, change {}, threshold {}: {}", row.baseline,
                      row.current, row.change, row.threshold, check.reason);
      if (check.status == CheckStatus::regressed) {
        tc.kind = "failure";
        tc.message = fmt::format("{} regressed: {}", row.metric, row.change);
        tc.details = numbers;
      } else if (check.status == CheckStatus::inconclusive ||
                 check.status == CheckStatus::no_baseline || check.status == CheckStatus::no_data) {
        tc.kind = "skipped";
        tc.message = fmt::format("{}: {}", to_string(check.status), check.reason);
      } else {
        tc.details = numbers;
      }
      cases.push_back(std::move(tc));
    }
    if (c.verdict->checks.empty() || c.verdict->status == VerdictStatus::no_baseline ||
        c.verdict->status == VerdictStatus::stale_baseline) {
      cases.push_back(
          {"baseline", "skipped",
           fmt::format("{}: create it with memgate baseline", to_string(c.verdict->status)), "",
           ""});
    }
  } else if (r.all_valid()) {
    cases.push_back({"run", "", "", "measured; no verdict (memgate run)", ""});
  }
  return suite;
}

std::string render_junit(const std::vector<JunitSuite>& suites) {
  std::vector<JunitCase> all;
  for (const auto& s : suites) all.insert(all.end(), s.cases.begin(), s.cases.end());
  const Counts total(all);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  XmlWriter xml(out);
  xml.start("testsuites")
      .attr("name", "memgate")
      .attr("tests", static_cast<double>(all.size()))
      .attr("failures", total.failures)
      .attr("errors", total.errors)
      .attr("skipped", total.skipped)
      .newline();
  for (const auto& s : suites) {
    const Counts counts(s.cases);
    xml.start("testsuite")
        .attr("name", s.name)
        .attr("tests", static_cast<double>(s.cases.size()))
        .attr("failures", counts.failures)
        .attr("errors", counts.errors)
        .attr("skipped", counts.skipped);
    if (!s.timestamp.empty()) xml.attr("timestamp", s.timestamp);  // a dateTime, or none
    xml.newline();
    for (const auto& tc : s.cases) {
      xml.start("testcase").attr("classname", "memgate." + s.name).attr("name", tc.name);
      if (!tc.kind.empty()) {
        xml.start(tc.kind).attr("message", tc.message);
        if (tc.kind != "skipped") {
          xml.attr("type", !tc.type.empty()       ? tc.type
                           : tc.kind == "failure" ? "regressed"
                                                  : "invalid-run");
        }
        if (!tc.details.empty()) xml.text(tc.details);
        xml.end();
      } else if (!tc.details.empty()) {
        xml.element("system-out", tc.details);
      }
      xml.end().newline();
    }
    xml.end().newline();
  }
  xml.end().newline();
  return out;
}

std::unique_ptr<ReportFormat> make_junit_format() { return std::make_unique<JunitFormat>(); }

}  // namespace memgate
