#include "core/report/role_summary.hpp"

#include <algorithm>

namespace memgate {

std::vector<const RoleMemory*> other_roles(const RunRecord& run) {
  std::vector<const RoleMemory*> out;
  for (const auto& s : run.services) out.push_back(&s);
  if (run.load) out.push_back(&*run.load);
  return out;
}

std::vector<RoleSummary> role_summaries(const Report& report) {
  std::vector<std::string> names;
  for (const auto& run : report.runs) {
    for (const RoleMemory* s : other_roles(run)) {
      if (std::find(names.begin(), names.end(), s->role) == names.end()) names.push_back(s->role);
    }
  }
  if (names.empty()) return {};
  std::vector<RoleSummary> out{{"sut", true, report.summary}};
  for (const auto& name : names) {
    std::vector<RunRecord> as_runs;  // the service's figures, as runs of their own
    bool gated = false;
    for (const auto& run : report.runs) {
      if (!stands_for_scenario(run, report.runs)) continue;
      for (const RoleMemory* s : other_roles(run)) {
        if (s->role != name) continue;
        RunRecord one;
        one.valid = run.valid;
        one.metrics = s->metrics;
        gated = s->gated;
        as_runs.push_back(std::move(one));
      }
    }
    out.push_back({name, gated, summarize(as_runs)});
  }
  return out;
}

}  // namespace memgate
