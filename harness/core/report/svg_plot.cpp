#include "core/report/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/metrics/run_metrics.hpp"
#include "core/model/units.hpp"
#include "core/report/role_summary.hpp"

namespace memgate {

namespace {

constexpr double kWidth = 960, kHeight = 320;
constexpr double kLeft = 78, kRight = 16, kTop = 24, kBottom = 36;
constexpr std::size_t kColumns = 600;

struct Frame {
  double t_max_ms, y_max;
  double x(double t_ms) const { return kLeft + t_ms / t_max_ms * (kWidth - kLeft - kRight); }
  double y(double bytes) const {
    return kTop + (1 - bytes / y_max) * (kHeight - kTop - kBottom);
  }
};

std::string points(const Series& s, const Frame& f) {
  std::string out;
  for (const auto& p : s) out += fmt::format("{:.1f},{:.1f} ", f.x(p.t_ms), f.y(static_cast<double>(p.bytes)));
  if (!out.empty()) out.pop_back();
  return out;
}

void level(XmlWriter& xml, const Frame& f, const PhaseSpan* phase, std::optional<std::int64_t> bytes,
           const char* name) {
  if (!phase || !bytes) return;
  const double y = f.y(static_cast<double>(*bytes));
  xml.start("line").attr("class", std::string("level level-") + name).attr("x1", f.x(phase->start_ms))
      .attr("x2", f.x(phase->end_ms)).attr("y1", y).attr("y2", y);
  xml.element("title", fmt::format("{} {}", name, format_bytes(static_cast<double>(*bytes))));
  xml.end();
  // Below the line: the peak's label sits above lines, at the right.
  xml.start("text").attr("class", "level-label").attr("x", f.x(phase->start_ms) + 4).attr("y", y + 13)
      .text(fmt::format("{} {}", name, format_bytes(static_cast<double>(*bytes)))).end();
}

// A server's own figure (Redis used_memory): the first column after t_ms of its samples, and
// the label it carries.
struct OwnFigure {
  std::string label;
  Series series;
};

std::vector<OwnFigure> own_figures(const RunRecord& run) {
  std::vector<OwnFigure> out;
  const auto add = [&](const nlohmann::json& figures, const std::string& role) {
    for (const auto& [source, figure] : figures.items()) {
      if (!figure.is_object()) continue;
      OwnFigure f;
      f.label = figure.value("label", source) + (role.empty() ? "" : " (" + role + ")");
      for (const auto& s : figure.value("samples", nlohmann::json::array())) {
        if (s.is_array() && s.size() >= 2 && s[0].is_number() && s[1].is_number()) {
          f.series.push_back({s[0].get<double>(), s[1].get<std::int64_t>()});
        }
      }
      if (!f.series.empty()) out.push_back(std::move(f));
    }
  };
  add(run.sut_figures, "");
  for (const auto& service : run.services) add(service.figures, service.role);
  return out;
}

}  // namespace

double nice_step(double max, int ticks) {
  const double raw = max / ticks;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

double bytes_tick_step(double max_bytes, int ticks) {
  // Ticks at round numbers of the unit the axis shows (MiB, not millions of bytes).
  const double unit = max_bytes >= 1024.0 * 1024 * 1024 ? 1024.0 * 1024 * 1024
                      : max_bytes >= 1024.0 * 1024      ? 1024.0 * 1024
                      : max_bytes >= 1024.0             ? 1024.0
                                                        : 1.0;
  return nice_step(std::max(1.0, max_bytes / unit), ticks) * unit;
}

Series reduce_for_plot(const Series& series, std::size_t columns) {
  if (series.size() <= 2 * columns || series.empty()) return series;
  const double t0 = series.front().t_ms, t1 = series.back().t_ms;
  const double width = std::max(1e-9, (t1 - t0) / static_cast<double>(columns));
  Series out;
  std::size_t i = 0;
  while (i < series.size()) {
    const auto column = static_cast<std::size_t>((series[i].t_ms - t0) / width);
    std::size_t lo = i, hi = i, j = i;
    for (; j < series.size() && static_cast<std::size_t>((series[j].t_ms - t0) / width) == column; ++j) {
      if (series[j].bytes < series[lo].bytes) lo = j;
      if (series[j].bytes > series[hi].bytes) hi = j;
    }
    out.push_back(series[std::min(lo, hi)]);
    if (lo != hi) out.push_back(series[std::max(lo, hi)]);
    i = j;
  }
  return out;
}

// The anonymous part of each sample, as a series of its own (empty when no sample has any: a
// report from before memgate split the kinds).
Series anonymous_part(const Series& samples) {
  Series out;
  bool any = false;
  out.reserve(samples.size());
  for (const Sample& s : samples) {
    out.push_back({s.t_ms, s.anon_bytes, s.anon_bytes});
    any = any || s.anon_bytes > 0;
  }
  if (!any) out.clear();
  return out;
}

void write_memory_plot(XmlWriter& xml, const RunRecord& run, const Baseline* baseline,
                       const RunRecord* reference) {
  const Series memory = reduce_for_plot(run.samples, kColumns);
  const Series anonymous = reduce_for_plot(anonymous_part(run.samples), kColumns);
  const Series other = reference ? reduce_for_plot(reference->samples, kColumns) : Series();
  std::vector<OwnFigure> figures = own_figures(run);
  for (auto& f : figures) f.series = reduce_for_plot(f.series, kColumns);
  const std::vector<const RoleMemory*> roles = other_roles(run);  // services, the load command
  std::vector<Series> services;
  for (const RoleMemory* role : roles) services.push_back(reduce_for_plot(role->samples, kColumns));
  const std::int64_t peak = run.metrics.peak_bytes.value_or(run.peak.max_sample_bytes);
  double t_max = 1, y_max = static_cast<double>(peak);
  for (const auto& s : run.samples) t_max = std::max(t_max, s.t_ms);
  for (const auto& p : run.phases) t_max = std::max(t_max, p.end_ms);
  const MetricSeries* band = nullptr;
  const MetricSeries* baseline_peak = nullptr;
  if (baseline) {
    if (auto it = baseline->metrics.find("plateau_bytes"); it != baseline->metrics.end()) band = &it->second;
    if (auto it = baseline->metrics.find("peak_bytes"); it != baseline->metrics.end()) baseline_peak = &it->second;
  }
  if (band) y_max = std::max(y_max, band->max);
  if (baseline_peak) y_max = std::max(y_max, baseline_peak->median);
  for (const auto& f : figures) {
    for (const auto& s : f.series) y_max = std::max(y_max, static_cast<double>(s.bytes));
  }
  for (const auto& service : services) {
    for (const auto& s : service) y_max = std::max(y_max, static_cast<double>(s.bytes));
  }
  for (const auto& s : other) {
    y_max = std::max(y_max, static_cast<double>(s.bytes));
    t_max = std::max(t_max, s.t_ms);
  }
  const double step = bytes_tick_step(y_max, 5);
  const Frame f{t_max, std::ceil(std::max(1.0, y_max) * 1.08 / step) * step};

  xml.start("svg").attr("xmlns", "http://www.w3.org/2000/svg").attr("class", "plot")
      .attr("viewBox", fmt::format("0 0 {} {}", kWidth, kHeight)).attr("role", "img")
      .attr("aria-label", fmt::format("memory of run {} over time", run.index));
  xml.element("title", fmt::format("Run {}: memory of the SUT's process tree over time", run.index));
  xml.start("rect").attr("class", "plot-area").attr("x", kLeft).attr("y", kTop)
      .attr("width", kWidth - kLeft - kRight).attr("height", kHeight - kTop - kBottom).end();
  for (const auto& phase : run.phases) {
    xml.start("rect").attr("class", "phase phase-" + phase.name).attr("x", f.x(phase.start_ms))
        .attr("y", kTop).attr("width", std::max(0.5, f.x(phase.end_ms) - f.x(phase.start_ms)))
        .attr("height", kHeight - kTop - kBottom);
    xml.element("title", fmt::format("{}: {:.2f} s to {:.2f} s", phase.name, phase.start_ms / 1000,
                                     phase.end_ms / 1000));
    xml.end();
    xml.start("text").attr("class", "phase-label").attr("x", f.x(phase.start_ms) + 3)
        .attr("y", kTop - 6).text(phase.name).end();
  }
  // Axes: memory on y, seconds on x.
  for (double v = 0; v <= f.y_max + 1e-9; v += step) {
    xml.start("line").attr("class", "grid").attr("x1", kLeft).attr("x2", kWidth - kRight)
        .attr("y1", f.y(v)).attr("y2", f.y(v)).end();
    xml.start("text").attr("class", "tick tick-y").attr("x", kLeft - 6).attr("y", f.y(v) + 4)
        .text(format_bytes(v)).end();
  }
  const double t_step = nice_step(t_max / 1000, 8);
  for (double t = 0; t <= t_max / 1000 + 1e-9; t += t_step) {
    xml.start("text").attr("class", "tick tick-x").attr("x", f.x(t * 1000))
        .attr("y", kHeight - kBottom + 16).text(fmt::format("{:g} s", t)).end();
  }
  const PhaseSpan* load = find_phase(run.phases, "load");
  if (band && load) {
    xml.start("rect").attr("class", "baseline-band").attr("x", f.x(load->start_ms))
        .attr("y", f.y(band->max)).attr("width", f.x(load->end_ms) - f.x(load->start_ms))
        .attr("height", std::max(3.0, f.y(band->min) - f.y(band->max)));
    xml.element("title", fmt::format("baseline plateau: {} to {} (median {})", format_bytes(band->min),
                                     format_bytes(band->max), format_bytes(band->median)));
    xml.end();
  }
  if (baseline_peak) {
    const double y = f.y(baseline_peak->median);
    xml.start("line").attr("class", "baseline-peak").attr("x1", kLeft).attr("x2", kWidth - kRight)
        .attr("y1", y).attr("y2", y);
    xml.element("title", "baseline peak (median) " + format_bytes(baseline_peak->median));
    xml.end();
  }
  for (const auto& figure : figures) {
    xml.start("polyline").attr("class", "series own-figure").attr("points", points(figure.series, f));
    xml.element("title", "the server's own figure: " + figure.label);
    xml.end();
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    const bool is_load = run.load && roles[i] == &*run.load;
    xml.start("polyline")
        .attr("class", is_load ? std::string("series load-memory")
                               : fmt::format("series service-memory service-{}", i % 4))
        .attr("points", points(services[i], f));
    xml.element("title", fmt::format("memory of {} ({})", who(roles[i]->role), run.memory_kind));
    xml.end();
  }
  if (!other.empty()) {
    xml.start("polyline").attr("class", "series reference-memory").attr("points", points(other, f));
    xml.element("title", fmt::format("A: memory of the SUT's process tree in run {}", reference->index));
    xml.end();
  }
  if (!anonymous.empty()) {
    xml.start("polyline").attr("class", "series memory-anon").attr("points", points(anonymous, f));
    xml.element("title", fmt::format("anonymous memory of the SUT's process tree (heap, stacks; "
                                     "{}): the rest is file-backed or shared",
                                     run.memory_kind));
    xml.end();
  }
  xml.start("polyline").attr("class", "series memory").attr("points", points(memory, f));
  xml.element("title", fmt::format("memory of the SUT's process tree ({})", run.memory_kind));
  xml.end();
  level(xml, f, find_phase(run.phases, "idle"), run.metrics.idle_bytes, "idle");
  level(xml, f, load, run.metrics.plateau_bytes, "plateau");
  level(xml, f, find_phase(run.phases, "cooldown"), run.metrics.residual_bytes, "residual");
  // The peak: a point when a sample holds it; a dashed line when only the kernel's high-water
  // marks saw it (between two samples, time unknown).
  const auto highest = std::max_element(run.samples.begin(), run.samples.end(),
                                        [](const Sample& a, const Sample& b) { return a.bytes < b.bytes; });
  const std::string peak_text = "peak " + format_bytes(static_cast<double>(peak));
  if (highest != run.samples.end() && highest->bytes >= peak) {
    xml.start("circle").attr("class", "peak").attr("cx", f.x(highest->t_ms))
        .attr("cy", f.y(static_cast<double>(peak))).attr("r", 4);
    xml.element("title", peak_text);
    xml.end();
  } else {
    const double y = f.y(static_cast<double>(peak));
    xml.start("line").attr("class", "peak-hwm").attr("x1", kLeft).attr("x2", kWidth - kRight)
        .attr("y1", y).attr("y2", y);
    xml.element("title", peak_text + " (kernel high-water mark, between two samples)");
    xml.end();
  }
  xml.start("text").attr("class", "peak-label").attr("x", kWidth - kRight - 4)
      .attr("y", f.y(static_cast<double>(peak)) - 5).text(peak_text).end();
  xml.end();  // svg
}

}  // namespace memgate
