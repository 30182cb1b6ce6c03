// memgate trend SCENARIO [--metric M] [--history FILE] [--out FILE]: a metric of a scenario
// across the history of checks (reports/history.jsonl): the series on the terminal, an HTML
// plot, and flags for steps and slow creeps that no single comparison with a baseline catches.
// Given the scenario's file, a rule of the metric with from_history adds the band each check
// was judged against.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/metrics/metric_table.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/report/history.hpp"
#include "core/report/trend_html.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "core/stats/trend.hpp"

namespace memgate::cli {

namespace {

struct TrendOptions {
  std::string scenario;
  std::string metric = "peak_bytes";
  std::string history;  // "": the project's, or reports/history.jsonl
  std::string out;
  std::string project;
};

ExitCode run_trend(TrendOptions o) {
  const Workspace workspace = open_workspace(o.project);
  if (o.history.empty()) o.history = workspace.history();
  if (!find_metric(o.metric) && !is_per_unit_metric(o.metric)) {
    throw UsageError(fmt::format("--metric {}: not a gated metric", o.metric),
                     fmt::format("one of: {} (a sweep's: per_unit.<memory metric>)",
                                 fmt::join(gated_metric_names(), ", ")));
  }
  // A scenario file or a scenario name; a file's rule with from_history gives the band.
  std::string name = o.scenario;
  std::optional<GateRule> rule;
  double noise_k = GateSpec{}.noise_mad_k;
  if (std::filesystem::is_regular_file(o.scenario)) {
    const Scenario scenario = load_scenario_file(o.scenario, workspace.load_options(false));
    name = scenario.name;
    noise_k = scenario.gate.noise_mad_k;
    for (const GateRule& r : scenario.gate.rules) {
      if (r.metric == o.metric && r.from_history) rule = r;
    }
  }
  if (!std::filesystem::exists(o.history)) {
    throw InputError(o.history, "", "no history yet",
                     "every `memgate check` appends to it (see --history)");
  }
  std::vector<std::string> skipped;
  const auto all = parse_history(read_input_file(o.history, kMaxHistoryBytes), o.history, skipped);
  for (const auto& s : skipped) print(stderr, "warning: skipped {}\n", s);
  std::vector<HistoryEntry> entries;
  std::vector<double> values;
  for (const auto& e : all) {
    const auto it = e.metrics.find(o.metric);
    if (e.scenario != name || it == e.metrics.end()) continue;
    entries.push_back(e);
    values.push_back(it->second);
  }
  if (entries.empty()) {
    throw InputError(o.history, "", fmt::format("no check of '{}' with {} in it", name, o.metric));
  }
  const auto steps = stats::find_steps(values);
  const auto bands = rule ? history_bands(entries, o.metric, rule->from_history->last,
                                          rule->from_history->min_entries, noise_k)
                          : std::vector<std::optional<std::pair<double, double>>>();
  const auto drift = stats::find_drift(values);
  print("{} · {} · {} check(s)\n", name, o.metric, entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string flag;
    for (const auto& s : steps) {
      if (s.index == i) flag = fmt::format("  <- step {:+.1f}% ({} -> {})", s.change_pct,
                                           format_metric(o.metric, s.before), format_metric(o.metric, s.after));
    }
    if (i < bands.size() && bands[i]) {
      flag += fmt::format("  band {} to {}", format_metric(o.metric, bands[i]->first),
                          format_metric(o.metric, bands[i]->second));
    }
    print("{:>4}  {:<20}  {:<12}  {:>14}  {:<14}{}\n", i + 1, entries[i].time,
          entries[i].commit.substr(0, 12) + (entries[i].dirty ? "+" : ""),
          format_metric(o.metric, values[i]), entries[i].verdict, flag);
  }
  if (drift) {
    print("drift over the history: {:+.1f}%{}\n", drift->total_change_pct,
          drift->significant ? "  <- a creep: significant" : "");
  }
  const std::string out = !o.out.empty() ? o.out
                          : (std::filesystem::path(o.history).parent_path() / name /
                             ("trend-" + o.metric + ".html")).string();
  if (const std::error_code ec = make_folders(std::filesystem::path(out).parent_path().string())) {
    throw RunError(fmt::format("cannot create the folder of {}: {}", out, ec.message()),
                   "choose another file with --out");
  }
  write_file_atomic(out, render_trend_html(name, o.metric, entries, steps, drift, bands));
  print("plot: {}\n", out);
  return ExitCode::ok;
}

}  // namespace

void add_trend_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<TrendOptions>();
  CLI::App* cmd = app.add_subcommand("trend", "A metric of a scenario across the history of checks");
  cmd->add_option("scenario", o->scenario, "Scenario name or file")->required();
  cmd->add_option("--metric", o->metric, "Gated metric (default peak_bytes)");
  cmd->add_option("--history", o->history,
                  "History file (default: the project's, or reports/history.jsonl)");
  add_project_option(cmd, o->project);
  cmd->add_option("--out", o->out, "HTML plot (default next to the history: <scenario>/trend-<metric>.html)");
  cmd->callback([&selected, o] { selected = [o] { return run_trend(*o); }; });
}

}  // namespace memgate::cli
