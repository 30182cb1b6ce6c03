// memgate watch [--interval-ms N] [--out FILE] -- COMMAND [ARGS...]: runs any command under the
// watcher (like `mprof run`), prints a summary and writes the report JSON.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/cli_time.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/model/units.hpp"
#include "core/report/json_report.hpp"
#include "runtime/env/environment.hpp"
#include "runtime/run/command_run.hpp"

namespace memgate::cli {

namespace {

struct WatchCliOptions {
  int interval_ms = 50;
  std::string memory = "rss";
  std::string out;
  double timeout_s = 0;
  double stop_grace_s = 5;
  std::vector<std::string> command;
};

void print_summary(const WatchCliOptions& o, const CommandRunResult& r) {
  const RunRecord& run = r.run;
  const double duration_ms = run.phases.empty() ? 0 : run.phases.back().end_ms;
  // The last sample of a live tree (the very last one is taken after the command exited).
  std::int64_t final_bytes = 0;
  for (const Sample& sample : run.samples) {
    if (sample.bytes > 0) final_bytes = sample.bytes;
  }
  const std::int64_t kernel_peak = std::max(run.peak.hwm_peak_bytes, run.peak.exit_peak_bytes);
  fmt::print(stderr, "memgate watch: {} {}\n", o.command[0],
             r.exit ? r.exit->describe() : std::string("did not finish"));
  fmt::print(stderr, "  peak      {}  (highest sample {}, kernel high-water mark {})\n",
             format_bytes(static_cast<double>(run.metrics.peak_bytes.value_or(0))),
             format_bytes(static_cast<double>(run.peak.max_sample_bytes)),
             kernel_peak > 0 ? format_bytes(static_cast<double>(kernel_peak))
                             : std::string("unavailable"));
  if (run.peak.cgroup_peak_bytes) {
    fmt::print(stderr, "  cgroup    {}  (peak charge of the tree, page cache included)\n",
               format_bytes(static_cast<double>(*run.peak.cgroup_peak_bytes)));
  }
  fmt::print(stderr, "  final     {}\n", format_bytes(static_cast<double>(final_bytes)));
  fmt::print(stderr, "  duration  {}, {} samples every {} ms, up to {} process(es)\n",
             format_duration_ms(duration_ms), run.samples.size(), run.interval_ms,
             run.max_processes);
  for (const auto& w : run.warnings) fmt::print(stderr, "  warning: {}\n", w);
}

ExitCode run_watch(const WatchCliOptions& o) {
  CommandRunOptions options;
  options.launch.argv = o.command;
  options.launch.inherit_output = true;
  options.watch.interval_ms = o.interval_ms;
  options.watch.memory = o.memory == "pss" ? MemoryKind::pss : MemoryKind::rss;
  options.timeout_s = o.timeout_s;
  options.stop_grace_s = o.stop_grace_s;
  const CommandRunResult result = run_command(options);
  print_summary(o, result);

  if (!o.out.empty()) {
    Report report;
    report.scenario = std::filesystem::path(o.command[0]).filename().string();
    report.description = "memgate watch of a command";
    report.driver = "command";
    report.created_at = utc_now_iso8601();
    report.environment = read_environment();
    report.warnings = environment_warnings(report.environment);
    report.runs.push_back(result.run);
    report.summary = result.run.metrics;
    write_file_atomic(o.out, report_to_json(report).dump(1) + "\n");
    fmt::print(stderr, "  report    {}\n", o.out);
  }
  if (!result.run.valid) {
    throw RunError(fmt::format("{}", fmt::join(result.run.problems, "; ")));
  }
  return ExitCode::ok;
}

}  // namespace

void add_watch_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<WatchCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "Run any command under the memory watcher (like `mprof run`): memgate watch -- CMD");
  cmd->add_option("--interval-ms", o->interval_ms, "Sampling interval in ms (1 to 60000)")
      ->check(CLI::Range(1, 60'000));
  cmd->add_option("--memory", o->memory, "rss (default) or pss (shared pages counted once)")
      ->check(CLI::IsMember({"rss", "pss"}));
  cmd->add_option("--out", o->out, "Write the report JSON here");
  cmd->add_option("--timeout-s", o->timeout_s, "Stop the command after this long (0: never)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--stop-grace-s", o->stop_grace_s,
                  "When stopping the command: SIGTERM, then SIGKILL after this long (default 5)")
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("command", o->command, "The command and its arguments, after --")->required();
  cmd->callback([&selected, o] { selected = [o] { return run_watch(*o); }; });
}

}  // namespace memgate::cli
