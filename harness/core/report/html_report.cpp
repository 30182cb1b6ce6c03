// report.html: one self-contained page (inline SVG and CSS, no script, no network): the verdict
// with regressions first, the memory plot of every run, the metrics, the SUT's own figures,
// latency, problems with the SUT's log tail, and the environment. All markup is written through
// XmlWriter: names, descriptions and SUT output are untrusted text.

#include <fmt/format.h>

#include <algorithm>

#include "core/explain/explain_report.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/metrics/per_unit.hpp"
#include "core/model/units.hpp"
#include "core/report/process_table.hpp"
#include "core/report/report_format.hpp"
#include "core/report/role_summary.hpp"
#include "core/report/svg_plot.hpp"
#include "core/report/sweep_plot.hpp"
#include "core/report/verdict_table.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

namespace {

// memgate's own constant style sheet (no '<' or '&': safe as raw text in HTML and XML).
constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; color: #1d2330; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 4px; font-weight: 600; }
.status-pass, .status-improved { background: #e3f5e8; color: #17652f; }
.status-regressed { background: #fde4e4; color: #9b1c1c; }
.status-inconclusive, .status-no-baseline, .status-stale-baseline, .status-warning, .status-no-data, .status-invalid { background: #fff3d6; color: #7a5300; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dde2ea; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f4f6f9; } td.name, th.name { text-align: left; }
pre { background: #f4f6f9; padding: 8px; overflow-x: auto; font-size: 12px; }
figure { margin: 12px 0 20px; } figcaption { color: #5b6475; font-size: 13px; }
svg.plot { width: 100%; height: auto; background: #fff; }
.plot-area { fill: #fbfcfd; stroke: #c9d0db; }
.grid { stroke: #e6e9ef; stroke-width: 1; } .tick { fill: #5b6475; font-size: 11px; } .tick-y { text-anchor: end; } .tick-x { text-anchor: middle; }
.phase-idle { fill: #e8f0fe; } .phase-warmup { fill: #fff4e0; } .phase-load { fill: #fde9e7; } .phase-cooldown { fill: #e7f6ec; }
.phase { opacity: 0.7; } .phase-label { fill: #5b6475; font-size: 11px; }
.series { fill: none; stroke-width: 1.6; stroke-linejoin: round; } .memory { stroke: #1f5fbf; } .memory-anon { stroke: #1f5fbf; stroke-width: 1.1; stroke-dasharray: 1 2; } .reference-memory { stroke: #9aa5b1; stroke-dasharray: 4 2; } .own-figure { stroke: #8a5cd1; stroke-dasharray: 5 3; }
.load-memory { stroke: #888; stroke-width: 1.1; stroke-dasharray: 2 2; } .service-memory { stroke-width: 1.3; } .service-0 { stroke: #d9822b; } .service-1 { stroke: #2f9e8f; } .service-2 { stroke: #b5487a; } .service-3 { stroke: #6b7d1f; }
.level { stroke-width: 1.2; stroke-dasharray: 6 3; } .level-idle { stroke: #2b7bd8; } .level-plateau { stroke: #c0392b; } .level-residual { stroke: #1e8f4e; }
.level-label { fill: #3d4554; font-size: 11px; }
.baseline-band { fill: #9aa5b1; opacity: 0.28; } .baseline-peak { stroke: #6b7684; stroke-dasharray: 2 3; }
.peak { fill: #c0392b; } .peak-hwm { stroke: #c0392b; stroke-dasharray: 3 2; } .peak-label { fill: #c0392b; font-size: 11px; text-anchor: end; }
.legend span { margin-right: 14px; font-size: 12px; color: #3d4554; }
details { margin: 6px 0; } summary { cursor: pointer; color: #3d4554; }
.fit-band { fill: #1f5fbf; opacity: 0.16; } .fit-line { stroke: #1f5fbf; stroke-width: 1.6; } .run-dot { fill: #c0392b; opacity: 0.85; }
footer { margin-top: 32px; color: #7a8394; font-size: 12px; }
)";

std::string show(const MetricInfo& info, double v) { return format_metric(info.name, v); }

void row(XmlWriter& xml, const std::vector<std::string>& cells, bool header = false) {
  xml.start("tr");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    xml.start(header ? "th" : "td");
    if (i == 0) xml.attr("class", "name");
    xml.text(cells[i]).end();
  }
  xml.end().newline();
}

void verdict_section(XmlWriter& xml, const Verdict& verdict) {
  xml.start("section").attr("id", "verdict").element("h2", "Verdict");
  xml.start("table").newline();
  xml.start("tr");
  for (const char* h : {"metric", "baseline", "current", "change", "status", "threshold"}) {
    xml.start("th").attr("class", std::string_view(h) == "metric" || std::string_view(h) == "threshold" ? "name" : "").text(h).end();
  }
  xml.end().newline();
  const auto rows = verdict_rows(verdict);
  for (const auto& r : rows) {
    xml.start("tr").start("td").attr("class", "name").text(r.metric).end();
    for (const auto* v : {&r.baseline, &r.current, &r.change}) xml.element("td", *v);
    xml.start("td").start("span").attr("class", "verdict status-" + r.status).text(r.status).end().end();
    xml.start("td").attr("class", "name").text(r.threshold).end();  // left-aligned text
    xml.end().newline();
  }
  xml.end();
  if (!verdict.notes.empty()) {
    xml.start("ul");
    for (const auto& note : verdict.notes) xml.element("li", note);
    xml.end();
  }
  xml.end().newline();
}

void metrics_section(XmlWriter& xml, const Report& r) {
  xml.start("section").attr("id", "metrics").element("h2", "Metrics");
  xml.start("table").newline();
  // In a sweep, each run's value, and the median of the runs at the largest one.
  const std::string key = r.sweep.is_null() ? "" : r.sweep.value("key", "");
  const std::optional<double> largest = largest_sweep_value(r.runs);
  std::vector<std::string> header{
      "metric", largest ? fmt::format("median at {} = {:g}", key, *largest) : "median"};
  for (const auto& run : r.runs) {
    header.push_back(
        fmt::format("run {}{}{}", run.index,
                    run.sweep_value ? fmt::format(" ({} = {:g})", key, *run.sweep_value) : "",
                    run.valid ? "" : " (invalid)"));
  }
  row(xml, header, true);
  for (const auto& info : gated_metrics()) {
    const auto summary = metric_value(r.summary, info.name);
    if (!summary) continue;
    std::vector<std::string> cells{info.name, show(info, *summary)};
    for (const auto& run : r.runs) {
      const auto v = metric_value(run.metrics, info.name);
      cells.push_back(v ? show(info, *v) : "-");
    }
    row(xml, cells);
  }
  // Runs without operations (a command, a load command that does not count) have no such row.
  bool counted = false;
  for (const auto& run : r.runs) {
    counted = counted || run.metrics.throughput_per_s || run.metrics.ops || run.metrics.errors;
  }
  if (counted) {
    std::vector<std::string> ops{"ops / errors",
                                 fmt::format("{} / {}", r.summary.ops, r.summary.errors)};
    for (const auto& run : r.runs)
      ops.push_back(fmt::format("{} / {}", run.metrics.ops, run.metrics.errors));
    row(xml, ops);
  }
  if (r.summary.contention_pct) {
    // Beside every timing figure: how much of the CPU other processes took meanwhile.
    const auto contention = [](const std::optional<double>& pct) {
      return pct ? fmt::format("{:.1f}%", *pct) : std::string("-");
    };
    std::vector<std::string> cells{"contention in the load (others + steal)",
                                   contention(r.summary.contention_pct) + " (worst)"};
    for (const auto& run : r.runs) cells.push_back(contention(run.metrics.contention_pct));
    row(xml, cells);
  }
  if (r.summary.backlog_jobs) {
    const auto backlog = [](const std::optional<BacklogSummary>& b) {
      return b ? fmt::format("{} / {} ({:+.0f}/min)", b->max, b->final, b->growth_per_min)
               : std::string("-");
    };
    std::vector<std::string> cells{"backlog max / final", backlog(r.summary.backlog_jobs)};
    for (const auto& run : r.runs) cells.push_back(backlog(run.metrics.backlog_jobs));
    row(xml, cells);
  }
  xml.end().end().newline();
}

// A server's own figures (Redis INFO memory), of the SUT or of a service, per run.
void figures_section(XmlWriter& xml, const Report& r) {
  struct Row {
    int run;
    std::string role;
    const nlohmann::json* redis;
  };
  std::vector<Row> rows;
  for (const auto& run : r.runs) {
    if (run.sut_figures.contains("redis")) rows.push_back({run.index, "sut", &run.sut_figures["redis"]});
    for (const auto& service : run.services) {
      if (service.figures.contains("redis")) {
        rows.push_back({run.index, service.role, &service.figures["redis"]});
      }
    }
  }
  if (rows.empty()) return;
  xml.start("section").attr("id", "figures").element("h2", "Redis's own figures (INFO memory)");
  xml.element("p", "used_memory is what Redis allocated; used_memory_rss what the OS gave it. "
                   "RSS growing without used_memory is fragmentation. Command counts are this "
                   "run's.");
  xml.start("table").newline();
  row(xml, {"run", "role", "used_memory idle", "plateau", "residual", "peak",
            "used_memory_rss plateau", "queue length at the end"}, true);
  for (const Row& each : rows) {
    const auto& redis = *each.redis;
    const auto figure = [&](const char* series, const char* key) {
      const auto& s = redis.value(series, nlohmann::json::object());
      return s.contains(key) ? format_bytes(s[key].get<double>()) : std::string("-");
    };
    const auto& final_state = redis.value("final", nlohmann::json::object());
    row(xml, {fmt::format("run {}", each.run), each.role, figure("used_memory_bytes", "idle"),
              figure("used_memory_bytes", "plateau"), figure("used_memory_bytes", "residual"),
              figure("used_memory_bytes", "peak"), figure("used_memory_rss_bytes", "plateau"),
              final_state.contains("queue_length") ? final_state["queue_length"].dump() : "-"});
  }
  xml.end().end().newline();
}

// Memory per role: the SUT's and each service's, medians over the runs.
void roles_section(XmlWriter& xml, const Report& r) {
  const auto roles = role_summaries(r);
  if (roles.empty()) return;
  xml.start("section").attr("id", "roles").element("h2", "Memory per role");
  xml.element("p", "The gate judges the SUT's figures, and a service's only when it says "
                   "\"gate\": true. Medians over the runs.");
  xml.start("table").newline();
  std::vector<std::string> header{"role", "gated"};
  for (const auto& m : role_table_metrics()) header.push_back(m);
  row(xml, header, true);
  for (const auto& role : roles) {
    std::vector<std::string> cells{role.role, role.gated ? "yes" : "no"};
    for (const auto& m : role_table_metrics()) {
      const auto v = metric_value(role.metrics, m);
      cells.push_back(v ? format_metric(m, *v) : "-");
    }
    row(xml, cells);
  }
  xml.end().end().newline();
}

// The processes of each run, biggest peak first: which process grew. Of a single process only
// for memgate watch (`always`), where the command's own pid, lifetime and figures are the point.
void processes_section(XmlWriter& xml, const Report& r, bool always) {
  constexpr std::size_t kTop = 15;
  bool any = false;
  for (const auto& run : r.runs) any = any || run.processes.size() > (always ? 0 : 1);
  if (!any) return;
  xml.start("section").attr("id", "processes").element("h2", "Processes");
  for (const auto& run : r.runs) {
    const auto rows = top_processes(run.processes, kTop);
    xml.start("details");
    if (run.index == r.runs.front().index) xml.attr("open", "open");
    xml.element("summary", fmt::format("Run {}: {} process(es){}", run.index, run.processes.size(),
                                       run.processes.size() > rows.size()
                                           ? fmt::format(", the {} with the highest peak", rows.size())
                                           : ""));
    xml.start("table").newline();
    // The plateau column only where a process has one (a command's only after a warm-up).
    const bool plateau = any_plateau(rows);
    std::vector<std::string> header{"command line", "pid", "role", "name", "lifetime", "peak"};
    if (plateau) header.push_back("plateau");
    header.push_back("final");
    row(xml, header, true);
    for (const auto& p : rows) {
      std::vector<std::string> cells{p.command_line, p.pid, p.role, p.name, p.lifetime, p.peak};
      if (plateau) cells.push_back(p.plateau.empty() ? "–" : p.plateau);
      cells.push_back(p.final);
      row(xml, cells);
    }
    xml.end().end().newline();
  }
  xml.end().newline();
}

void latency_section(XmlWriter& xml, const Report& r) {
  bool any = false;
  for (const auto& run : r.runs) any = any || run.metrics.latency_ms.has_value();
  if (!any) return;
  xml.start("section").attr("id", "latency").element("h2", "Latency (ms per operation; per batch for text batches)");
  xml.start("table").newline();
  row(xml, {"run", "p50", "p95", "p99", "max", "count"}, true);
  for (const auto& run : r.runs) {
    if (!run.metrics.latency_ms) continue;
    const auto& l = *run.metrics.latency_ms;
    const auto ms = [](std::optional<double> v) {
      return v ? fmt::format("{:.3f}", *v) : std::string("–");
    };
    row(xml, {fmt::format("run {}", run.index), ms(l.p50_ms), ms(l.p95_ms), ms(l.p99_ms),
              ms(l.max_ms), std::to_string(l.count)});
  }
  xml.end().end().newline();
}

void problems_section(XmlWriter& xml, const Report& r) {
  bool any = !r.warnings.empty() || !r.notes.empty();
  for (const auto& run : r.runs) any = any || !run.problems.empty() || !run.warnings.empty();
  if (!any) return;
  xml.start("section").attr("id", "problems").element("h2", "Problems and warnings");
  xml.start("ul");
  for (const auto& w : r.warnings) xml.element("li", "warning: " + w);
  for (const auto& n : r.notes) xml.element("li", "note: " + n);
  for (const auto& run : r.runs) {
    for (const auto& p : run.problems) {
      xml.start("li").start("span").attr("class", "verdict status-invalid").text("invalid").end()
          .text(fmt::format(" run {}: {}", run.index, p)).end();
    }
    for (const auto& w : run.warnings) xml.element("li", fmt::format("run {}: warning: {}", run.index, w));
  }
  xml.end();
  for (const auto& run : r.runs) {
    if (run.valid || run.log_tail.empty()) continue;
    xml.element("h3", fmt::format("Run {}: the last lines of {}'s output", run.index,
                                  who(run.log_tail_role)));
    std::string tail;
    for (const auto& line : run.log_tail) tail += line + "\n";
    xml.element("pre", tail);
  }
  xml.end().newline();
}

// A sweep: per memory metric, its figure per unit of the swept key and its plot against it.
void sweep_section(XmlWriter& xml, const Report& r) {
  if (r.sweep.is_null()) return;
  const std::string key = r.sweep.value("key", "");
  std::vector<double> order;
  for (const auto& run : r.runs) {
    if (run.sweep_value) order.push_back(*run.sweep_value);
  }
  if (order.empty()) return;
  const auto [low, high] = std::minmax_element(order.begin(), order.end());
  xml.start("section").attr("id", "per-unit").element("h2", "Memory per unit of " + key);
  std::vector<std::string> shown;
  for (const double v : order) shown.push_back(fmt::format("{:g}", v));
  xml.element("p", fmt::format("Runs in order ({}): {}. Interleaved, so that a drift of the "
                               "machine does not look like a slope. The metrics and checks "
                               "above are the runs' at {} = {:g}; the per-unit checks, every "
                               "run's.",
                               key, fmt::join(shown, ", "), key, *high));
  const auto figures = per_unit_figures(r.runs);
  if (figures.empty()) {
    xml.element("p", "No figure per unit: fewer than two of the sweep's values were measured.");
    xml.end().newline();
    return;
  }
  xml.start("table").newline();
  row(xml, {kPerUnitColumns.begin(), kPerUnitColumns.end()}, true);
  for (const PerUnit& f : figures) {
    const auto cells = per_unit_cells(f);
    row(xml, {cells.begin(), cells.end()});
  }
  xml.end().newline();
  for (const PerUnit& f : figures) {
    xml.start("figure");
    write_sweep_plot(xml, r.runs, f, key);
    xml.element("figcaption", per_unit_words(f, key, *low, *high) +
                                  " · dots: runs; line: the fit; band: its slope's 95% interval");
    xml.end().newline();
  }
  xml.end().newline();
}

void environment_section(XmlWriter& xml, const Report& r) {
  xml.start("section").attr("id", "environment").element("h2", "Environment");
  xml.start("table").newline();
  for (const auto& [key, value] : r.environment.items()) {
    row(xml, {key, value.is_string() ? value.get<std::string>() : value.dump()});
  }
  row(xml, {"scenario hash", r.scenario_hash});
  xml.end().end().newline();
}

class HtmlFormat : public ReportFormat {
 public:
  std::string file_name() const override { return "report.html"; }

  std::string render(const ReportContext& c) const override {
    const Report& r = c.report;
    std::string out = "<!DOCTYPE html>\n";
    XmlWriter xml(out, /*html_compatible=*/true);
    xml.start("html").attr("xmlns", "http://www.w3.org/1999/xhtml").attr("lang", "en").newline();
    xml.start("head").raw("<meta charset=\"utf-8\"/>")
        .element("title", "memgate · " + r.scenario).start("style").raw(kStyle).end().end().newline();
    xml.start("body").newline();
    std::string status = "no verdict", status_class = "warning";
    if (c.watch && r.runs.size() == 1 && r.runs.front().sut_exit) {
      // No gate, so no verdict: how the command ended.
      status = "the command " + *r.runs.front().sut_exit;
      status_class = r.all_valid() ? "pass" : "invalid";
    } else if (!r.all_valid()) {
      status = "NO VERDICT: a run was not valid";
      status_class = "invalid";
    } else if (c.verdict) {
      status = verdict_headline(*c.verdict);
      status_class = to_string(c.verdict->status);
    }
    xml.start("header").element("h1", "memgate · " + r.scenario);
    if (!r.description.empty()) xml.element("p", r.description);
    xml.start("p").start("span").attr("class", "verdict status-" + status_class).text(status).end()
        .text(fmt::format("  {} run(s) · {} driver · {}", r.runs.size(), r.driver, r.created_at)).end();
    xml.end().newline();
    if (c.verdict && r.all_valid() && !c.verdict->checks.empty()) verdict_section(xml, *c.verdict);
    xml.start("section").attr("id", "runs").element("h2", "Memory over time");
    // The legend names what the plots can hold: memgate watch has no services, own figures or
    // baseline.
    const auto legend = [&](const char* text) { xml.start("span").text(text).end(); };
    xml.start("p").attr("class", "legend");
    legend("— memory of the SUT's process tree");
    legend("··· of it anonymous (heap, stacks; the rest: code, mapped files, shared)");
    if (!c.watch) legend("— each service's, in its own colour (a load command's grey, dotted)");
    legend(c.watch ? "- - plateau" : "- - idle / plateau / residual");
    legend("● peak");
    if (!c.watch) {
      legend("▒ baseline plateau (min to max; memgate ab: A's, with A's runs grey)");
      legend("- - a server's own figure (Redis used_memory), where sampled");
    }
    xml.end();
    for (const auto& run : r.runs) {
      xml.start("figure");
      const RunRecord* reference = nullptr;
      if (c.reference_runs) {
        for (const auto& a : *c.reference_runs) {
          if (a.index == run.index) reference = &a;
        }
      }
      // The baseline's figures are those of the runs a report's summary stands for (in a sweep,
      // the largest value's): beside other runs they would mislead.
      write_memory_plot(xml, run, stands_for_scenario(run, r.runs) ? c.baseline : nullptr,
                        reference);
      xml.element("figcaption",
                  fmt::format("Run {}{}: {} samples every {} ms ({}), up to {} process(es){}",
                              run.index, run.valid ? "" : " (not valid)", run.samples.size(),
                              run.interval_ms, run.memory_kind, run.max_processes,
                              run.peak.cgroup_peak_bytes
                                  ? fmt::format(", cgroup peak {}",
                                                format_bytes(static_cast<double>(*run.peak.cgroup_peak_bytes)))
                                  : std::string()));
      xml.end().newline();
    }
    xml.end().newline();
    metrics_section(xml, r);
    sweep_section(xml, r);
    roles_section(xml, r);
    figures_section(xml, r);
    processes_section(xml, r, c.watch);
    if (c.explain) {
      xml.start("section")
          .attr("id", "explain")
          .element("h2", "Where the memory went (memgate explain)");
      write_explain_sections(xml, *c.explain);
      xml.end().newline();
    }
    latency_section(xml, r);
    problems_section(xml, r);
    environment_section(xml, r);
    xml.element("footer", fmt::format("memgate {} · {}", MEMGATE_VERSION, r.created_at));
    xml.end().newline();  // body
    xml.end().newline();  // html
    return out;
  }
};

}  // namespace

std::unique_ptr<ReportFormat> make_html_format() { return std::make_unique<HtmlFormat>(); }

}  // namespace memgate
