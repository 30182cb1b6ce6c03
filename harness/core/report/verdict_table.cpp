#include "core/report/verdict_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/metrics/metric_table.hpp"
#include "core/model/units.hpp"

namespace memgate {

namespace {

// metric: a check's (a gated metric, a service's, or a sweep's per-unit figure).
std::string value(const std::string& metric, const std::optional<double>& v) {
  return v ? format_metric(metric, *v) : "-";
}

}  // namespace

std::vector<VerdictRow> verdict_rows(const Verdict& verdict) {
  std::vector<VerdictRow> rows;
  for (const Check& c : verdict.checks) {
    VerdictRow row;
    row.metric = c.metric;
    row.baseline = c.budget ? "budget" : value(c.metric, c.baseline);
    row.current = value(c.metric, c.current);
    if (c.change && !c.budget) {
      const std::string magnitude = value(c.metric, std::fabs(*c.change));
      row.change = fmt::format("{}{}", *c.change < 0 ? "-" : "+", magnitude);
      if (c.change_pct) row.change += fmt::format(" ({:+.1f}%)", *c.change_pct);
    } else {
      row.change = "-";
    }
    // An unjudged check's rule did not apply: why not is what a reader needs.
    row.threshold = c.status == CheckStatus::unjudged ? c.reason
                    : c.threshold.empty()              ? "-"
                                                       : c.threshold;
    row.status = to_string(c.status);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string render_text_table(const std::vector<VerdictRow>& rows) {
  std::vector<std::array<std::string, 6>> cells = {
      {"metric", "baseline", "current", "change", "status", "threshold"}};
  for (const auto& r : rows) {
    cells.push_back({r.metric, r.baseline, r.current, r.change, r.status, r.threshold});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += i + 1 < line.size() ? fmt::format("{:<{}}  ", line[i], width[i]) : line[i];
    }
    out += text + "\n";
  }
  return out;
}

std::string verdict_headline(const Verdict& verdict) {
  std::string status = to_string(verdict.status);
  std::transform(status.begin(), status.end(), status.begin(), [](unsigned char c) {
    return c == '-' ? ' ' : static_cast<char>(std::toupper(c));
  });
  // Only the rows that regressed are named as regressions; rows too close to call are named as
  // such, never as the verdict's own.
  std::vector<std::string> regressed, inconclusive;
  for (const Check& c : verdict.checks) {
    const std::string name = c.metric + (c.budget ? " (budget)" : "");
    if (c.status == CheckStatus::regressed) regressed.push_back(name);
    if (c.status == CheckStatus::inconclusive) inconclusive.push_back(name);
  }
  if (regressed.empty() && inconclusive.empty()) return status;
  if (regressed.empty() && verdict.status == VerdictStatus::inconclusive) {
    return fmt::format("{}: {}", status, fmt::join(inconclusive, ", "));
  }
  if (regressed.empty())
    return fmt::format("{}; inconclusive: {}", status, fmt::join(inconclusive, ", "));
  if (inconclusive.empty()) return fmt::format("{}: {}", status, fmt::join(regressed, ", "));
  return fmt::format("{}: {}; inconclusive: {}", status, fmt::join(regressed, ", "),
                     fmt::join(inconclusive, ", "));
}

}  // namespace memgate
