#include "core/report/trend_html.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/metrics/metric_table.hpp"
#include "core/model/units.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

namespace {

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #1d2330; padding: 0 16px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; } th, td { border: 1px solid #dde2ea; padding: 3px 8px; text-align: right; }
th { background: #f4f6f9; } td.name { text-align: left; }
svg { width: 100%; height: auto; } .area { fill: #fbfcfd; stroke: #c9d0db; } .line { fill: none; stroke: #1f5fbf; stroke-width: 1.5; }
.point-pass, .point-improved { fill: #1e8f4e; } .point-regressed { fill: #c0392b; } .point-other { fill: #b7791f; }
.band { stroke: #cfe0f7; stroke-width: 9; stroke-linecap: round; } .step { stroke: #c0392b; stroke-dasharray: 4 3; } .label { font-size: 11px; fill: #5b6475; } .flag { color: #9b1c1c; font-weight: 600; }
)";

}  // namespace

std::string render_trend_html(const std::string& scenario, const std::string& metric,
                              const std::vector<HistoryEntry>& entries,
                              const std::vector<stats::StepChange>& steps,
                              const std::optional<stats::Drift>& drift,
                              const std::vector<std::optional<std::pair<double, double>>>& bands) {
  std::string out = "<!DOCTYPE html>\n";
  XmlWriter xml(out, true);
  xml.start("html").attr("xmlns", "http://www.w3.org/1999/xhtml").attr("lang", "en").newline();
  xml.start("head").raw("<meta charset=\"utf-8\"/>")
      .element("title", fmt::format("memgate trend · {} · {}", scenario, metric))
      .start("style").raw(kStyle).end().end().newline();
  xml.start("body").element("h1", fmt::format("memgate trend · {} · {}", scenario, metric));
  if (drift) {
    xml.element("p", fmt::format("Drift over the history: {:+.1f}% ({}){}", drift->total_change_pct,
                                 format_metric(metric, drift->slope_per_entry) + " per check",
                                 drift->significant ? ": significant" : ""));
  }
  std::vector<double> values;
  for (const auto& e : entries) values.push_back(e.metrics.at(metric));
  constexpr double W = 960, H = 300, L = 90, R = 16, T = 16, B = 40;
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  for (const auto& band : bands) {
    if (!band) continue;
    lo = std::min(lo, band->first);
    hi = std::max(hi, band->second);
  }
  if (hi == lo) {
    hi += std::max(1.0, std::fabs(hi) * 0.05);
    lo -= std::max(1.0, std::fabs(lo) * 0.05);
  }
  const double pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const auto x = [&](std::size_t i) {
    return L + (values.size() == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(values.size() - 1)) * (W - L - R);
  };
  const auto y = [&](double v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
  xml.start("svg").attr("xmlns", "http://www.w3.org/2000/svg").attr("viewBox", fmt::format("0 0 {} {}", W, H))
      .attr("role", "img").attr("aria-label", metric + " over the history");
  xml.start("rect").attr("class", "area").attr("x", L).attr("y", T).attr("width", W - L - R).attr("height", H - T - B).end();
  for (int k = 0; k <= 4; ++k) {
    const double v = lo + (hi - lo) * k / 4;
    xml.start("text").attr("class", "label").attr("x", L - 6).attr("y", y(v) + 4).attr("text-anchor", "end")
        .text(format_metric(metric, v)).end();
  }
  for (const auto& s : steps) {
    xml.start("line").attr("class", "step").attr("x1", x(s.index)).attr("x2", x(s.index))
        .attr("y1", T).attr("y2", H - B);
    xml.element("title", fmt::format("step {:+.1f}%: {} -> {}", s.change_pct, format_metric(metric, s.before),
                                     format_metric(metric, s.after)));
    xml.end();
  }
  for (std::size_t i = 0; i < bands.size() && i < values.size(); ++i) {
    if (!bands[i]) continue;
    xml.start("line")
        .attr("class", "band")
        .attr("x1", x(i))
        .attr("x2", x(i))
        .attr("y1", y(bands[i]->second))
        .attr("y2", y(bands[i]->first));
    xml.element("title", fmt::format("the band from the history: {} to {}",
                                     format_metric(metric, bands[i]->first),
                                     format_metric(metric, bands[i]->second)));
    xml.end();
  }
  std::string points;
  for (std::size_t i = 0; i < values.size(); ++i) points += fmt::format("{:.1f},{:.1f} ", x(i), y(values[i]));
  xml.start("polyline").attr("class", "line").attr("points", points).end();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& v = entries[i].verdict;
    const std::string cls = v == "pass" || v == "improved" ? "point-pass" : v == "regressed" ? "point-regressed" : "point-other";
    xml.start("circle").attr("class", cls).attr("cx", x(i)).attr("cy", y(values[i])).attr("r", 3.5);
    xml.element("title", fmt::format("{} {} {}: {}", entries[i].time, entries[i].commit.substr(0, 10),
                                     v, format_metric(metric, values[i])));
    xml.end();
  }
  const std::size_t every = std::max<std::size_t>(1, values.size() / 8);
  for (std::size_t i = 0; i < values.size(); i += every) {
    xml.start("text").attr("class", "label").attr("x", x(i)).attr("y", H - B + 16).attr("text-anchor", "middle")
        .text(entries[i].time.substr(0, 10)).end();
  }
  xml.end().newline();  // svg
  xml.start("table").start("tr");
  for (const char* h : {"#", "time", "commit", metric.c_str(), "verdict", "flag"}) xml.element("th", h);
  xml.end().newline();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string flag;
    for (const auto& s : steps) {
      if (s.index == i) flag = fmt::format("step {:+.1f}%", s.change_pct);
    }
    xml.start("tr").element("td", std::to_string(i + 1));
    xml.start("td").attr("class", "name").text(entries[i].time).end();
    xml.start("td").attr("class", "name")
        .text(entries[i].commit.substr(0, 12) + (entries[i].dirty ? " (dirty)" : "")).end();
    xml.element("td", format_metric(metric, values[i]));
    xml.start("td").attr("class", "name").text(entries[i].verdict).end();
    xml.start("td").attr("class", "flag").text(flag).end();
    xml.end().newline();
  }
  xml.end();
  xml.end().newline().end().newline();
  return out;
}

}  // namespace memgate
