// summary.md: the verdict table for a CI job summary (GitHub renders it), or the metrics when
// there is no verdict.

#include <fmt/format.h>

#include <algorithm>

#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"
#include "core/model/units.hpp"
#include "core/report/markdown_cell.hpp"
#include "core/report/report_format.hpp"
#include "core/report/role_summary.hpp"
#include "core/report/verdict_table.hpp"

namespace memgate {

namespace {

std::string metrics_table(const RunMetrics& m) {
  std::string out = "| metric | median of the valid runs |\n|:--|--:|\n";
  for (const auto& info : gated_metrics()) {
    const auto v = metric_value(m, info.name);
    if (!v) continue;
    out += fmt::format("| {} | {} |\n", info.name, format_metric(info.name, *v));
  }
  if (m.contention_pct) {
    out += fmt::format("| contention in the load (worst run) | {:.1f}% |\n", *m.contention_pct);
  }
  return out;
}

// Memory per role, when the scenario has services.
std::string roles_table(const Report& r) {
  const auto roles = role_summaries(r);
  if (roles.empty()) return "";
  std::string out = "| role | gated |";
  std::string rule = "|:--|:--|";
  for (const auto& m : role_table_metrics()) {
    out += " " + markdown_cell(m) + " |";
    rule += "--:|";
  }
  out += "\n" + rule + "\n";
  for (const auto& role : roles) {
    out += fmt::format("| {} | {} |", markdown_cell(role.role), role.gated ? "yes" : "no");
    for (const auto& m : role_table_metrics()) {
      const auto v = metric_value(role.metrics, m);
      out += " " + (v ? format_metric(m, *v) : std::string("-")) + " |";
    }
    out += "\n";
  }
  return out;
}

// A sweep's figures per unit of work, with the runs' order (interleaved) and what the tables
// above stand for.
std::string sweep_section(const Report& r) {
  if (r.sweep.is_null()) return "";
  const std::string key = r.sweep.value("key", "");
  std::vector<double> order;
  for (const auto& run : r.runs) {
    if (run.sweep_value) order.push_back(*run.sweep_value);
  }
  if (order.empty()) return "";
  const auto [low, high] = std::minmax_element(order.begin(), order.end());
  std::string out = fmt::format("\n### Memory per unit of {}\n\n", markdown_cell(key));
  const auto figures = per_unit_figures(r.runs);
  if (figures.empty()) {
    out += "No figure per unit: fewer than two of the sweep's values were measured.\n";
  } else {
    out += "|";
    for (const char* column : kPerUnitColumns) out += fmt::format(" {} |", column);
    out += "\n|:--|--:|--:|--:|--:|:--|\n";
    for (const PerUnit& f : figures) {
      out += "|";
      for (const auto& cell : per_unit_cells(f)) out += " " + markdown_cell(cell) + " |";
      out += "\n";
    }
    out += "\n";
    for (const PerUnit& f : figures) {
      if (f.metric == "retained_bytes") {
        out += "- " + markdown_cell(per_unit_words(f, key, *low, *high)) + "\n";
      }
    }
  }
  std::vector<std::string> shown;
  for (const double v : order) shown.push_back(fmt::format("{:g}", v));
  out += fmt::format("- run order ({} = ...): {}\n", markdown_cell(key), fmt::join(shown, ", "));
  out += fmt::format(
      "- the scenario's metrics and their checks: the runs at {} = {:g} (per-unit checks: every "
      "run)\n",
      markdown_cell(key), *high);
  return out;
}

class MarkdownFormat : public ReportFormat {
 public:
  std::string file_name() const override { return "summary.md"; }

  std::string render(const ReportContext& c) const override {
    const Report& r = c.report;
    std::string out;
    int valid = 0;
    for (const auto& run : r.runs) valid += run.valid ? 1 : 0;
    std::string headline = c.verdict ? verdict_headline(*c.verdict)
                           : r.all_valid() ? fmt::format("{} run(s), no verdict", r.runs.size())
                                           : std::string("NO VERDICT: a run was not valid");
    if (c.verdict && !r.all_valid()) headline = "NO VERDICT: a run was not valid";
    out +=
        fmt::format("## memgate · {} · {}\n\n", markdown_cell(r.scenario), markdown_cell(headline));
    if (!r.description.empty()) out += markdown_cell(r.description) + "\n\n";
    if (c.verdict && r.all_valid() && !c.verdict->checks.empty()) {
      out += "| metric | baseline | current | change | status | threshold |\n";
      out += "|:--|--:|--:|--:|:--|:--|\n";
      for (const auto& row : verdict_rows(*c.verdict)) {
        out += fmt::format("| {} | {} | {} | {} | **{}** | {} |\n", markdown_cell(row.metric),
                           markdown_cell(row.baseline), markdown_cell(row.current),
                           markdown_cell(row.change), markdown_cell(row.status),
                           markdown_cell(row.threshold));
      }
      out += "\n";
      for (const auto& note : c.verdict->notes) out += "- " + markdown_cell(note) + "\n";
    } else if (r.all_valid()) {
      out += metrics_table(r.summary);
    }
    if (const std::string roles = roles_table(r); !roles.empty()) {
      if (out.size() < 2 || out.compare(out.size() - 2, 2, "\n\n") != 0) out += "\n";
      out += roles;
    }
    out += sweep_section(r);
    for (const auto& run : r.runs) {
      for (const auto& problem : run.problems) {
        out += fmt::format("- run {} is not valid: {}\n", run.index, markdown_cell(problem));
      }
    }
    for (const auto& w : r.warnings) out += "- warning: " + markdown_cell(w) + "\n";
    for (const auto& n : r.notes) out += "- note: " + markdown_cell(n) + "\n";
    out += fmt::format("\n{} valid run(s) of {} · {} · memgate {} · details: report.html\n", valid,
                       r.runs.size(), markdown_cell(r.created_at), MEMGATE_VERSION);
    return out;
  }
};

}  // namespace

std::unique_ptr<ReportFormat> make_markdown_format() { return std::make_unique<MarkdownFormat>(); }

}  // namespace memgate
