#include "core/shard/merged_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "core/gate/gate.hpp"
#include "core/report/markdown_cell.hpp"

namespace memgate {

MergedScenario merged_scenario(const MergeEntry& entry, const ReportForGate& read,
                               std::string summary_md) {
  const Report& report = read.report;
  MergedScenario out{entry, "", ExitCode::ok, std::move(summary_md), {}};
  std::optional<Verdict> verdict;
  if (!report.verdict.is_null()) {
    verdict = verdict_from_json(report.verdict, entry.report_path, "/verdict");
  }
  if (!report.all_valid()) {
    out.status = "invalid";
    out.exit = ExitCode::run_failed;
  } else if (verdict) {
    out.status = to_string(verdict->status);
    out.exit = exit_code_for(*verdict);
  } else {
    out.status = "measured";
  }
  out.junit = junit_suite(ReportContext{report, verdict ? &*verdict : nullptr, nullptr, nullptr});
  return out;
}

MergedScenario missing_scenario(const MergeEntry& entry) {
  JunitSuite suite{entry.scenario, "", {{"report", "error", entry.missing_reason, "", "not-run"}}};
  return {entry, "missing", entry.missing_exit, "", std::move(suite)};
}

ExitCode merged_exit(const std::vector<MergedScenario>& scenarios) {
  ExitCode out = ExitCode::ok;
  for (const auto& s : scenarios) out = worst(out, s.exit);
  return out;
}

const char* merged_status(const MergePlan& plan, ExitCode exit) {
  switch (exit) {
    case ExitCode::ok:
      return plan.command == "run" ? "measured" : "pass";
    case ExitCode::regressed:
      return "regressed";
    case ExitCode::bad_input:
      return "bad-input";
    case ExitCode::run_failed:
      return "invalid";
    case ExitCode::no_verdict:
      return "no-verdict";
  }
  return "?";
}

std::string merged_summary_md(const MergePlan& plan, const std::vector<MergedScenario>& scenarios) {
  const ExitCode exit = merged_exit(scenarios);
  std::string out =
      fmt::format("# memgate · {} scenario(s) from {} shard(s) · {} (exit {})\n\n",
                  scenarios.size(), plan.shard_count, merged_status(plan, exit), to_int(exit));
  out += "| scenario | shard | status | exit code |\n|:--|--:|:--|--:|\n";
  for (const auto& s : scenarios) {
    out += fmt::format("| {} | {} | **{}** | {} |\n", markdown_cell(s.entry.scenario),
                       to_string(s.entry.shard), markdown_cell(s.status), to_int(s.exit));
  }
  out += "\n";
  for (const auto& s : scenarios) {
    if (!s.entry.missing_reason.empty()) {
      out += fmt::format("- {}: no report: {}\n", markdown_cell(s.entry.scenario),
                         markdown_cell(s.entry.missing_reason));
    }
  }
  for (const auto& s : scenarios) {
    if (s.summary_md.empty()) continue;
    out += "\n" + s.summary_md;
    if (out.back() != '\n') out += '\n';
  }
  out += fmt::format("\nmerged by memgate {} from the shards of `memgate {}`\n",
                     plan.memgate_version, plan.command);
  return out;
}

nlohmann::json merged_verdict_json(const MergePlan& plan,
                                   const std::vector<MergedScenario>& scenarios) {
  const ExitCode exit = merged_exit(scenarios);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : scenarios) {
    nlohmann::json item = {{"scenario", s.entry.scenario},
                           {"shard", to_string(s.entry.shard)},
                           {"status", s.status},
                           {"exit_code", to_int(s.exit)},
                           {"report", s.entry.report_path}};
    if (!s.entry.missing_reason.empty()) item["missing_reason"] = s.entry.missing_reason;
    list.push_back(std::move(item));
  }
  return {{"schema_version", 1},
          {"memgate_version", plan.memgate_version},
          {"command", plan.command},
          {"shards", plan.shard_count},
          {"status", merged_status(plan, exit)},
          {"exit_code", to_int(exit)},
          {"scenarios", list}};
}

std::string merge_history_texts(const std::vector<std::string>& texts) {
  struct Line {
    std::string time;
    std::string text;
  };
  std::vector<Line> lines;
  std::set<std::string> seen;
  for (const auto& text : texts) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || !seen.insert(line).second) continue;
      const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      const bool timed = doc.is_object() && doc.contains("time") && doc["time"].is_string();
      lines.push_back({timed ? doc["time"].get<std::string>() : std::string(), line});
    }
  }
  // ISO 8601 UTC times ("2026-11-27T03:17:05Z") sort as text.
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.time < b.time; });
  std::string out;
  for (const auto& l : lines) out += l.text + '\n';
  return out;
}

}  // namespace memgate
