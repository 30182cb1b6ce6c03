#include "core/report/sweep_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/model/units.hpp"
#include "core/report/report.hpp"
#include "core/report/svg_plot.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

namespace {

constexpr double kWidth = 960, kHeight = 240;
constexpr double kLeft = 78, kRight = 24, kTop = 16, kBottom = 36;

struct Frame {
  double x_min, x_max, y_min, y_max;
  double x(double v) const {
    return kLeft + (v - x_min) / (x_max - x_min) * (kWidth - kLeft - kRight);
  }
  double y(double bytes) const {
    return kTop + (1 - (bytes - y_min) / (y_max - y_min)) * (kHeight - kTop - kBottom);
  }
};

}  // namespace

void write_sweep_plot(XmlWriter& xml, const std::vector<RunRecord>& runs, const PerUnit& figure,
                      const std::string& key) {
  struct Dot {
    double x, y;
    int run;
  };
  std::vector<Dot> dots;
  for (const auto& run : runs) {
    if (!run.valid || !run.sweep_value) continue;
    if (const auto y = metric_value(run.metrics, figure.metric)) {
      dots.push_back({*run.sweep_value, *y, run.index});
    }
  }
  if (dots.size() < 2) return;
  const auto [lo_dot, hi_dot] = std::minmax_element(
      dots.begin(), dots.end(), [](const Dot& a, const Dot& b) { return a.x < b.x; });
  const double x_lo = lo_dot->x, x_hi = hi_dot->x;
  const stats::SlopeFit& fit = figure.fit;
  std::vector<double> all_x;
  for (const auto& d : dots) all_x.push_back(d.x);
  const double pivot = *stats::median(all_x);
  // Every line passes through the fit at the median value (the band's pivot).
  const auto line = [&](double slope, double x) {
    return fit.intercept + fit.slope * pivot + slope * (x - pivot);
  };
  double y_min = 0, y_max = 1;
  for (const auto& d : dots) {
    y_min = std::min(y_min, d.y);
    y_max = std::max(y_max, d.y);
  }
  std::vector<double> band_slopes{fit.slope};
  if (fit.ci) band_slopes = {fit.ci->first, fit.ci->second};
  for (const double slope : band_slopes) {
    for (const double x : {x_lo, x_hi}) {
      y_min = std::min(y_min, line(slope, x));
      y_max = std::max(y_max, line(slope, x));
    }
  }
  const double step = bytes_tick_step(std::max(y_max - y_min, 1.0), 4);
  const double pad = (x_hi - x_lo) * 0.04;
  const Frame f{x_lo - pad, x_hi + pad, std::floor(y_min / step) * step,
                std::ceil(y_max * 1.05 / step) * step};

  xml.start("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("class", "plot")
      .attr("viewBox", fmt::format("0 0 {} {}", kWidth, kHeight))
      .attr("role", "img")
      .attr("aria-label", fmt::format("{} against {}", figure.metric, key));
  xml.element("title", fmt::format("{} of each run against {}", figure.metric, key));
  xml.start("rect")
      .attr("class", "plot-area")
      .attr("x", kLeft)
      .attr("y", kTop)
      .attr("width", kWidth - kLeft - kRight)
      .attr("height", kHeight - kTop - kBottom)
      .end();
  for (double v = f.y_min; v <= f.y_max + 1e-9; v += step) {
    xml.start("line")
        .attr("class", "grid")
        .attr("x1", kLeft)
        .attr("x2", kWidth - kRight)
        .attr("y1", f.y(v))
        .attr("y2", f.y(v))
        .end();
    xml.start("text")
        .attr("class", "tick tick-y")
        .attr("x", kLeft - 6)
        .attr("y", f.y(v) + 4)
        .text(format_bytes(v))
        .end();
  }
  std::vector<double> values;
  for (const auto& d : dots) {
    if (std::find(values.begin(), values.end(), d.x) == values.end()) values.push_back(d.x);
  }
  for (const double v : values) {
    xml.start("text")
        .attr("class", "tick tick-x")
        .attr("x", f.x(v))
        .attr("y", kHeight - kBottom + 16)
        .text(fmt::format("{:g}", v))
        .end();
  }
  if (fit.ci) {
    // The band: between the interval's two lines, which cross at the pivot.
    const auto low = [&](double x) {
      return std::min(line(fit.ci->first, x), line(fit.ci->second, x));
    };
    const auto high = [&](double x) {
      return std::max(line(fit.ci->first, x), line(fit.ci->second, x));
    };
    std::vector<double> xs{x_lo};
    for (const auto& d : dots) {
      if (d.x > x_lo && d.x < x_hi) xs.push_back(d.x);
    }
    xs.push_back(x_hi);
    xs.push_back(pivot);
    std::sort(xs.begin(), xs.end());
    std::string points;
    for (const double x : xs) points += fmt::format("{:.1f},{:.1f} ", f.x(x), f.y(high(x)));
    for (auto it = xs.rbegin(); it != xs.rend(); ++it) {
      points += fmt::format("{:.1f},{:.1f} ", f.x(*it), f.y(low(*it)));
    }
    points.pop_back();
    xml.start("polygon").attr("class", "fit-band").attr("points", points);
    xml.element("title",
                fmt::format("95% interval of the slope: {} to {} per unit",
                            format_bytes_fine(fit.ci->first), format_bytes_fine(fit.ci->second)));
    xml.end();
  }
  xml.start("line")
      .attr("class", "fit-line")
      .attr("x1", f.x(x_lo))
      .attr("x2", f.x(x_hi))
      .attr("y1", f.y(line(fit.slope, x_lo)))
      .attr("y2", f.y(line(fit.slope, x_hi)));
  xml.element("title", fmt::format("fit: {} per unit", format_bytes_fine(fit.slope)));
  xml.end();
  for (const auto& d : dots) {
    xml.start("circle")
        .attr("class", "run-dot")
        .attr("cx", f.x(d.x))
        .attr("cy", f.y(d.y))
        .attr("r", 3.5);
    xml.element("title", fmt::format("run {}: {} = {:g}, {}", d.run, key, d.x, format_bytes(d.y)));
    xml.end();
  }
  xml.end();
}

}  // namespace memgate
