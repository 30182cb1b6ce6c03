#include "core/metrics/per_unit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/metrics/metric_table.hpp"
#include "core/model/units.hpp"
#include "core/report/report.hpp"

namespace memgate {

std::vector<std::size_t> sweep_order(std::size_t values, int repeat, int first_round) {
  std::vector<std::size_t> order;
  for (int round = first_round; round < first_round + repeat; ++round) {
    for (std::size_t k = 0; k < values; ++k) {
      order.push_back((static_cast<std::size_t>(round) + k) % values);
    }
  }
  return order;
}

std::vector<PerUnit> per_unit_figures(const std::vector<RunRecord>& runs) {
  std::vector<PerUnit> out;
  for (const auto& name : per_unit_metric_names()) {
    std::vector<double> xs, ys;
    std::map<double, std::vector<double>> by_value;
    for (const auto& run : runs) {
      if (!run.valid || !run.sweep_value) continue;
      const auto y = metric_value(run.metrics, name);
      if (!y) continue;
      xs.push_back(*run.sweep_value);
      ys.push_back(*y);
      by_value[*run.sweep_value].push_back(*y);
    }
    auto fit = stats::fit_slope(xs, ys);
    if (!fit) continue;
    PerUnit figure{name, *fit, std::nullopt, false};
    const auto low = stats::median(by_value.begin()->second);
    const auto high = stats::median(by_value.rbegin()->second);
    if (low && high && *low > 0) figure.ratio = *high / *low;
    figure.confirmed = fit->ci && fit->ci->first > 0;
    out.push_back(std::move(figure));
  }
  return out;
}

nlohmann::json per_unit_to_json(const std::vector<PerUnit>& figures) {
  const auto round3 = [](double v) { return std::round(v * 1000) / 1000 + 0.0; };  // no -0
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : figures) {
    out[f.metric] = {{"slope", round3(f.fit.slope)},
                     {"ci95", f.fit.ci ? nlohmann::json::array(
                                             {round3(f.fit.ci->first), round3(f.fit.ci->second)})
                                       : nlohmann::json()},
                     {"r2", f.fit.r2 ? nlohmann::json(round3(*f.fit.r2)) : nlohmann::json()},
                     {"ratio", f.ratio ? nlohmann::json(round3(*f.ratio)) : nlohmann::json()},
                     {"runs", f.fit.points},
                     {"confirmed", f.confirmed}};
  }
  return out;
}

std::array<std::string, 6> per_unit_cells(const PerUnit& f) {
  return {f.metric,
          format_bytes_fine(f.fit.slope),
          f.fit.ci ? fmt::format("{} to {}", format_bytes_fine(f.fit.ci->first),
                                 format_bytes_fine(f.fit.ci->second))
                   : "-",
          f.fit.r2 ? fmt::format("{:.3f}", *f.fit.r2) : "-",
          f.ratio ? fmt::format("{:.2f}", *f.ratio) : "-",
          f.confirmed ? "yes (95%)" : "no"};
}

namespace {

// 8000 -> "8,000"; 0.5 -> "0.5".
std::string group_digits(double v) {
  if (std::floor(v) != v || std::fabs(v) >= 1e15) return fmt::format("{:g}", v);
  std::string digits = fmt::format("{}", static_cast<std::int64_t>(std::fabs(v)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (v < 0 ? "-" : "") + digits;
}

}  // namespace

std::string per_unit_words(const PerUnit& f, const std::string& key, double lowest,
                           double highest) {
  const bool ops = key == "phases.load_ops";
  const std::string unit = ops ? "op" : "unit of " + key;
  const std::string range = fmt::format("{}{}-{}{}", ops ? "" : key + " = ", group_digits(lowest),
                                        group_digits(highest), ops ? " ops" : "");
  const std::string verb = f.metric == "retained_bytes" ? "retains" : "grows by";
  std::string out =
      fmt::format("{}: {} {} per {}", f.metric, verb, format_bytes_fine(f.fit.slope), unit);
  if (!f.fit.ci) return out + " (too few runs for a 95% interval: repeat each value more often)";
  out += fmt::format(", 95% CI {} to {}", format_bytes_fine(f.fit.ci->first),
                     format_bytes_fine(f.fit.ci->second));
  if (f.confirmed) return out + fmt::format("; confirmed over {}", range);
  return out + (f.fit.ci->second < 0
                    ? fmt::format("; lower with more work over {}", range)
                    : fmt::format("; not confirmed over {} (the interval holds 0)", range));
}

}  // namespace memgate
