#pragma once

// What `memgate merge` writes: one summary.md, one junit.xml, one verdict.json for the scenarios
// of every shard, and the shards' histories in time order. Pure: the caller reads the files.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/exit_code.hpp"
#include "core/report/junit.hpp"
#include "core/report/report_reader.hpp"
#include "core/shard/merge_plan.hpp"

namespace memgate {

struct MergedScenario {
  MergeEntry entry;
  std::string status;  // the verdict's status; invalid, measured (memgate run), or missing
  ExitCode exit = ExitCode::run_failed;
  std::string summary_md;  // its own summary.md, as the shard wrote it ("" when missing)
  JunitSuite junit;
};

// A scenario whose report was read: its status and exit code as `check` (or `run`) gave them —
// "invalid" (exit 3) when a run was not valid, else the verdict's (exit_code_for), or "measured"
// (exit 0) for a report of `run`, which has none; and its junit suite rendered from the report.
// Throws InputError naming the report when its verdict is damaged.
MergedScenario merged_scenario(const MergeEntry& entry, const ReportForGate& report,
                               std::string summary_md);

// A scenario without a report: "missing", its entry's missing_exit, an error case saying why.
MergedScenario missing_scenario(const MergeEntry& entry);

// The worst exit code of the scenarios (bad input > run failed > regressed > no verdict > ok);
// ok for none.
ExitCode merged_exit(const std::vector<MergedScenario>& scenarios);

// "# memgate · N scenarios from M shards · STATUS", a table of every scenario (shard, status,
// exit code, why a report is missing), then each scenario's own summary.md.
std::string merged_summary_md(const MergePlan& plan, const std::vector<MergedScenario>& scenarios);

// {"schema_version", "memgate_version", "command", "shards", "status", "exit_code",
//  "scenarios": [{"scenario", "shard", "status", "exit_code", "report", "missing_reason"?}]}
nlohmann::json merged_verdict_json(const MergePlan& plan,
                                   const std::vector<MergedScenario>& scenarios);

// The status word of an exit code: pass (measured, for shards of `memgate run`), regressed,
// bad-input, invalid, no-verdict.
const char* merged_status(const MergePlan& plan, ExitCode exit);

// History lines (history.jsonl texts: the existing file's, then each shard's) merged into one
// text: every distinct line once, in the order of their "time" (stable: lines of the same time,
// and lines without one, keep their order; a line without a time sorts first). Nothing is
// dropped but exact duplicates (the same history restored into several shards).
std::string merge_history_texts(const std::vector<std::string>& texts);

}  // namespace memgate
