// Fuzzes the report reader as `memgate compare` and `memgate baseline --from` use it:
// read_report_file (file size limit, strict JSON, schema version, gate rules, runs and metrics),
// then what those commands do with a report: gate it, render the verdict, make a baseline.
//
// The same bytes also go to parse_history (reports/history.jsonl, read by `memgate trend`), which
// skips and names damaged lines: it must never throw.
//
// Property: every input either reads or throws memgate::Error with a message; any other
// exception escapes and aborts, and ASan/UBSan report memory errors, leaks and undefined
// behaviour. Once a report reads, nothing after it may throw, and
//   - a baseline made from it (`memgate baseline --from`) reads back,
//   - gating it against that baseline finds no regression or improvement outside the budgets
//     (a report cannot differ from itself).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/report/history.hpp"
#include "core/report/report_reader.hpp"
#include "core/report/verdict_table.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace memgate;
using memgate::fuzz::fail;

// What `memgate compare` prints for a verdict, without the terminal.
void render(const Verdict& verdict) {
  render_text_table(verdict_rows(verdict));
  verdict_headline(verdict);
  verdict_to_json(verdict).dump(1);
}

Verdict gate(const Report& report, const GateSpec& spec, const Baseline* baseline) {
  return gate_report(report, spec, baseline);
}

void check_read(const ReportForGate& input) {
  const Report& report = input.report;
  render(gate(report, input.gate, nullptr));
  if (!report.all_valid()) return;  // compare and baseline --from stop here
  const Baseline baseline = make_baseline(report, "");
  try {
    const std::string text = baseline_to_json(baseline).dump(1) + "\n";
    baseline_from_json(parse_json_text(text, "baselines/fuzz.json"), "baselines/fuzz.json");
  } catch (const Error& e) {
    fail("a baseline made from a valid report does not read back", e.what());
  }
  const Verdict verdict = gate(report, input.gate, &baseline);
  for (const Check& check : verdict.checks) {
    if (!check.budget &&
        (check.status == CheckStatus::regressed || check.status == CheckStatus::improved)) {
      fail("a report gated against its own baseline changed", check.metric + ": " + check.reason);
    }
  }
  render(verdict);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static memgate::fuzz::MemoryFile file;
  const std::string text = memgate::fuzz::as_text(data, size);
  std::vector<std::string> skipped;
  parse_history(text, "reports/history.jsonl", skipped);
  const std::string& path = file.write(text);
  std::optional<ReportForGate> input;
  try {
    input = read_report_file(path);
  } catch (const Error& e) {
    memgate::fuzz::expect_usable(e);
    return 0;
  }
  check_read(*input);  // outside the try: from here on even a memgate::Error is a finding
  return 0;
}
