#pragma once

// JUnit XML for CI pages: one test suite per scenario, one test case per gated metric (or per
// invalid run). Used by the junit.xml of a scenario's report folder and by `memgate merge`, which
// puts every shard's scenarios into one file: the same cases, the same statuses.

#include <string>
#include <vector>

#include "core/report/report_format.hpp"

namespace memgate {

struct JunitCase {
  std::string name;
  std::string kind;  // "" (passed), failure, error, skipped
  std::string message;
  std::string details;
  std::string type;  // failure/error: the type attribute ("": regressed / invalid-run)
};

struct JunitSuite {
  std::string name;       // the scenario
  std::string timestamp;  // ISO 8601 UTC; "" when unknown
  std::vector<JunitCase> cases;
};

// The cases of one scenario's report: an error per invalid run; with a verdict, a case per check
// (failure: regressed; skipped: no verdict) and a skipped "baseline" case when there is none;
// without a verdict, one passed "run" case.
JunitSuite junit_suite(const ReportContext& context);

// The document: <testsuites> with the totals, then each suite in the given order.
std::string render_junit(const std::vector<JunitSuite>& suites);

}  // namespace memgate
