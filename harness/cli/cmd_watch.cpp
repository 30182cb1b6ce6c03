// memgate watch [--interval-ms N] [--out FILE] [--html FILE] [--exit-code] -- COMMAND [ARGS...]:
// runs any command under the watcher (like `mprof run`), prints a summary and the processes it
// saw, and writes the report JSON and the report page. The command runs through the same run
// session as a `command` scenario. The report paths are checked before the command runs.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/report_output.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/model/units.hpp"
#include "core/report/json_report.hpp"
#include "core/report/process_table.hpp"
#include "core/report/report_format.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/run/real_backend.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

namespace {

// The command runs at most this long when no --timeout-s is given: a week, the longest phase.
constexpr double kNoTimeoutS = 7 * 24 * 3600;
// Processes listed on the terminal.
constexpr std::size_t kTopProcesses = 10;

struct WatchCliOptions {
  int interval_ms = 50;
  std::string memory = "rss";
  std::string out;
  std::string html;
  bool exit_code = false;
  bool exact_peak = true;
  double warmup_s = 0;
  double timeout_s = 0;
  double stop_grace_s = 5;
  std::vector<std::string> command;
};

// A command scenario for the command line (its braces escaped: nothing is a placeholder).
Scenario watch_scenario(const WatchCliOptions& o) {
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& arg : o.command) {
    std::string escaped;
    for (char c : arg) escaped += c == '{' ? std::string("{{") : std::string(1, c);
    argv.push_back(escaped);
  }
  const nlohmann::json source = {
      {"name", "watch"},
      {"description", "memgate watch of a command"},
      {"sut",
       {{"command", argv},
        {"cwd", std::filesystem::current_path().string()},
        {"stop_grace_s", o.stop_grace_s}}},
      {"watch",
       {{"interval_ms", o.interval_ms}, {"memory", o.memory}, {"exact_peak", o.exact_peak}}},
      {"phases",
       {{"warmup_s", o.warmup_s}, {"load_timeout_s", o.timeout_s > 0 ? o.timeout_s : kNoTimeoutS}}},
      {"driver", {{"type", "command"}}}};
  LoadOptions load;
  load.context.bindir = executable_dir();
  return parse_scenario(source, "", load);
}

void print_summary(const WatchCliOptions& o, const RunRecord& run) {
  const double duration_ms = run.phases.empty() ? 0 : run.phases.back().end_ms;
  // The last sample of a live tree (the very last one is taken after the command exited).
  std::int64_t final_bytes = 0;
  for (const Sample& sample : run.samples) {
    if (sample.bytes > 0) final_bytes = sample.bytes;
  }
  const std::int64_t kernel_peak = std::max(run.peak.hwm_peak_bytes, run.peak.exit_peak_bytes);
  print(stderr, "memgate watch: {} {}\n", o.command[0],
        run.sut_exit ? *run.sut_exit : std::string("did not finish"));
  print(stderr, "  peak      {}  (highest sample {}, kernel high-water mark {})\n",
        format_bytes(static_cast<double>(run.metrics.peak_bytes.value_or(0))),
        format_bytes(static_cast<double>(run.peak.max_sample_bytes)),
        kernel_peak > 0 ? format_bytes(static_cast<double>(kernel_peak))
                        : std::string("unavailable"));
  if (run.metrics.peak_anon_bytes) {
    print(stderr, "  anonymous {}  (heap and stacks, highest sample; the rest: code, files)\n",
          format_bytes(static_cast<double>(*run.metrics.peak_anon_bytes)));
  }
  if (run.peak.cgroup_peak_bytes) {
    print(stderr, "  cgroup    {}  (peak charge of the tree, page cache included)\n",
          format_bytes(static_cast<double>(*run.peak.cgroup_peak_bytes)));
  }
  print(stderr, "  final     {}\n", format_bytes(static_cast<double>(final_bytes)));
  // Only after a warm-up (--warmup-s) and, for growth, over enough samples: run_metrics.hpp.
  if (run.metrics.plateau_bytes) {
    print(stderr, "  plateau   {}  (median after the warm-up)\n",
          format_bytes(static_cast<double>(*run.metrics.plateau_bytes)));
  }
  if (run.metrics.growth_bytes_per_min) {
    print(stderr, "  growth    {}/min  (after the warm-up)\n",
          format_bytes(*run.metrics.growth_bytes_per_min));
  }
  print(stderr, "  duration  {}, {} samples every {} ms, up to {} process(es)\n",
        format_duration_ms(duration_ms), run.samples.size(), run.interval_ms, run.max_processes);
  for (const auto& w : run.warnings) print(stderr, "  warning: {}\n", w);
  if (run.exact_peak) print(stderr, "  note: {}\n", kExactPeakNote);
  if (!run.processes.empty()) {
    const auto rows = top_processes(run.processes, kTopProcesses);
    print(stderr, "  processes{}:\n",
          run.processes.size() > rows.size()
              ? fmt::format(" (top {} of {})", rows.size(), run.processes.size())
              : "");
    const std::string table = render_process_text(rows);
    std::size_t start = 0;
    for (std::size_t end; (end = table.find('\n', start)) != std::string::npos; start = end + 1) {
      print(stderr, "    {}\n", table.substr(start, end - start));
    }
  }
}

ExitCode run_watch(const WatchCliOptions& o) {
  if (!o.out.empty() && o.out == o.html) {
    throw UsageError(fmt::format("--out and --html name the same file {}", o.out),
                     "the report JSON and the page need a file each");
  }
  // A bad path is found before the command runs, not after it.
  check_report_file(o.out, "--out");
  check_report_file(o.html, "--html");
  const Scenario scenario = watch_scenario(o);
  SessionSettings session;
  session.inherit_output = true;
  RealBackend backend;
  const RunRecord run = run_session(scenario, backend, session);
  print_summary(o, run);

  if (!o.out.empty() || !o.html.empty()) {
    Report report = new_report(scenario);
    report.scenario = std::filesystem::path(o.command[0]).filename().string();
    report.description = fmt::format("memgate watch -- {}", fmt::join(o.command, " "));
    report.created_at = utc_now_iso8601();
    report.runs.push_back(run);
    report.summary = run.metrics;
    if (!o.out.empty()) {
      write_file_atomic(o.out, report_to_json(report).dump(1) + "\n");
      print(stderr, "  report    {}\n", o.out);
    }
    if (!o.html.empty()) {
      ReportContext context{report};
      context.watch = true;
      write_file_atomic(o.html, make_html_format()->render(context));
      print(stderr, "  page      {}\n", o.html);
    }
  }
  // --exit-code: the status of a command that ended by itself, as a shell gives it (the enum's
  // underlying int holds any status). A command memgate had to stop (time limit, interrupt)
  // has none: memgate's own exit code then.
  if (o.exit_code && run.sut_exit_status) {
    // The command's status is the answer; what made the run invalid is still said.
    for (const auto& problem : run.problems) print(stderr, "  problem: {}\n", problem);
    return static_cast<ExitCode>(*run.sut_exit_status);
  }
  if (!run.valid) throw RunError(fmt::format("{}", fmt::join(run.problems, "; ")));
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
  cmd->add_flag("--no-exact-peak{false}", o->exact_peak,
                "Do not reset the processes' high-water marks: the command's own peak (getrusage, "
                "VmHWM) and /usr/bin/time around memgate stay whole; the peak is then exact for "
                "one process, a lower bound for a tree");
  cmd->add_option("--out", o->out, "Write the report JSON to this file");
  cmd->add_option("--html", o->html,
                  "Write the report page (self-contained HTML: the plot, the processes) to this "
                  "file");
  cmd->add_flag("--exit-code,-E", o->exit_code,
                "Exit with the command's own status (128 + N when signal N killed it), as a shell "
                "does, instead of 0 or 3 (mprof run -E)");
  cmd->add_option("--warmup-s", o->warmup_s,
                  "The command's start-up, cut from the start of its life: its plateau and growth "
                  "are measured after it (without one, only its peak)")
      ->check(CLI::Range(0.0, kNoTimeoutS));
  cmd->add_option("--timeout-s", o->timeout_s, "Stop the command after this long (0: never)")
      ->check(CLI::Range(0.0, kNoTimeoutS));
  cmd->add_option("--stop-grace-s", o->stop_grace_s,
                  "When stopping the command: SIGTERM, then SIGKILL after this long (default 5)")
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("command", o->command, "The command and its arguments, after --")->required();
  cmd->callback([&selected, o] { selected = [o] { return run_watch(*o); }; });
}

}  // namespace memgate::cli
