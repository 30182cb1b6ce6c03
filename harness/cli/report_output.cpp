#include "cli/report_output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/output_folders.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/model/units.hpp"
#include "core/report/json_report.hpp"
#include "core/report/report_format.hpp"
#include "runtime/run/real_backend.hpp"

namespace memgate::cli {

std::string report_dir(const std::string& out_option, std::size_t scenario_count,
                       const std::string& scenario_name, const std::string& reports_root) {
  namespace fs = std::filesystem;
  fs::path dir = out_option.empty()    ? fs::path(reports_root) / scenario_name
                 : scenario_count == 1 ? fs::path(out_option)
                                       : fs::path(out_option) / scenario_name;
  // A folder that cannot take a file is found now, not after minutes of load.
  probe_writable_folder(dir.string(), "the report folder", "choose another folder with --out");
  return dir.string();
}

void check_report_file(const std::string& path, const std::string& option) {
  namespace fs = std::filesystem;
  if (path.empty()) return;
  const auto fail = [&](const std::string& problem) {
    throw UsageError(fmt::format("{} {}: {}", option, path, problem),
                     fmt::format("give {} a file name in a folder you can write to", option));
  };
  const fs::path file(path);
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!file.has_filename() || fs::is_directory(status)) {
    fail("is a folder, not a file name");
  }
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    fail("exists and is not a regular file");
  }
  const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (const std::error_code made = make_folders(parent.string())) {
    fail(fmt::format("cannot create its folder {}: {}", parent.string(), made.message()));
  }
  // A folder that cannot take a file is found now, not after the command has run.
  std::string probe = (parent / ".write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    const int error = errno;
    fail(fmt::format("cannot write in its folder {}: {}", parent.string(), std::strerror(error)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

RunSettings run_settings(const std::string& dir, int repeat, bool quiet, ProgressPrinter& progress,
                         const std::string& scenario_name) {
  RunSettings settings;
  settings.out_dir = dir;
  settings.repeat = repeat;
  settings.backend = real_backend;
  if (!quiet) {
    settings.progress = [&progress, scenario_name](const ProgressEvent& e) {
      progress(scenario_name, e);
    };
  }
  return settings;
}

std::string write_reports(const Report& report, const Verdict* verdict, const Baseline* baseline,
                          const std::string& dir, const std::vector<RunRecord>* reference_runs,
                          const ExplainResult* explain) {
  ReportContext context{report, verdict, baseline, reference_runs};
  context.explain = explain;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& format : all_report_formats()) {
    files.emplace_back(format->file_name(), format->render(context));
  }
  write_file_set_atomic(dir, files);
  return (std::filesystem::path(dir) / "report.html").string();
}

std::optional<std::string> try_write_reports(const Report& report, const Verdict* verdict,
                                             const Baseline* baseline, const std::string& dir) {
  try {
    return write_reports(report, verdict, baseline, dir);
  } catch (const RunError& e) {
    print_error(e);
    return std::nullopt;
  }
}

bool try_append_history(const std::string& path, const std::string& line) {
  try {
    update_history(path, [&](const std::string& file) {
      const std::string note = append_line(file, line);
      if (!note.empty()) print(stderr, "warning: {}\n", note);
    });
    return true;
  } catch (const RunError& e) {
    print_error(e);
    return false;
  }
}

void print_summary(const Report& report) {
  const RunMetrics& m = report.summary;
  const auto bytes = [](const std::optional<std::int64_t>& v) {
    return v ? format_bytes(static_cast<double>(*v)) : std::string("-");
  };
  print(stderr, "{}: {} run(s), median of the valid ones\n", report.scenario, report.runs.size());
  print(stderr, "  idle {}  peak {}  plateau {}  residual {}  retained {}\n", bytes(m.idle_bytes),
        bytes(m.peak_bytes), bytes(m.plateau_bytes), bytes(m.residual_bytes),
        bytes(m.retained_bytes));
  if (m.growth_bytes_per_min) {
    print(stderr, "  growth {}/min", format_bytes(*m.growth_bytes_per_min));
  }
  if (m.throughput_per_s) {
    print(stderr, "  throughput {:.0f} ops/s ({} ops, {} errors)", *m.throughput_per_s, m.ops,
          m.errors);
  }
  if (m.latency_ms) {
    print(stderr, "  latency p50 {} p99 {}", format_duration_ms(m.latency_ms->p50_ms),
          format_duration_ms(m.latency_ms->p99_ms));
    if (m.latency_ms->max_ms) print(stderr, " max {}", format_duration_ms(*m.latency_ms->max_ms));
  }
  print(stderr, "\n");
  if (m.cpu_us_per_op || m.contention_pct) {
    print(stderr, " ");
    if (m.cpu_us_per_op) print(stderr, " cpu {:.2f} µs/op", *m.cpu_us_per_op);
    if (m.contention_pct) {
      print(stderr, "  contention {:.1f}% (others' share of the CPU in the load, worst run)",
            *m.contention_pct);
    }
    print(stderr, "\n");
  }
  for (const auto& w : report.warnings) print(stderr, "  warning: {}\n", w);
  for (const auto& n : report.notes) print(stderr, "  note: {}\n", n);
}

void print_invalid_runs(const Report& report) {
  for (const auto& run : report.runs) {
    if (run.valid) continue;
    for (const auto& problem : run.problems) {
      print(stderr, "error: {} run {} is not valid: {}\n", report.scenario, run.index, problem);
    }
    if (!run.log_tail.empty()) {
      print(stderr, "  last lines of {}'s output:\n", who(run.log_tail_role));
      for (const auto& line : run.log_tail) print(stderr, "  | {}\n", line);
    }
  }
}

void update_history(const std::string& path, const std::function<void(const std::string&)>& write) {
  if (path.empty() || path == "none") return;
  try {
    if (const std::error_code ec =
            make_folders(std::filesystem::path(path).parent_path().string())) {
      throw RunError(fmt::format("cannot create the folder of {}: {}", path, ec.message()));
    }
    write(path);
  } catch (const RunError& e) {
    throw RunError(e.what(), "pass --history none");
  }
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void ProgressPrinter::operator()(const std::string& scenario, const ProgressEvent& e) {
  const std::string prefix = fmt::format("memgate: {} run {}/{}:", scenario, e.run, e.runs);
  const auto finish_line = [&] {
    if (line_open_) print(stderr, "\n");
    line_open_ = false;
  };
  if (e.kind == ProgressEvent::Kind::phase_start) {
    finish_line();
    const std::string length = e.planned_s <= 0 ? ""
                               : e.phase == "ready" ? fmt::format(" (up to {} s)", e.planned_s)
                                                    : fmt::format(" ({} s)", e.planned_s);
    print(stderr, "{} {}{}{}", prefix, e.service.empty() ? "" : "service " + e.service + " ",
          e.phase, length);
    if (terminal_) {
      line_open_ = true;
      last_ops_ = 0;
      last_elapsed_s_ = 0;
    } else {
      print(stderr, "\n");
    }
  } else if (e.kind == ProgressEvent::Kind::tick && terminal_) {
    // Rewrite the line in place: \r, then clear to its end.
    const double dt = e.elapsed_s - last_elapsed_s_;
    const double rate = dt > 0 ? static_cast<double>(e.ops - last_ops_) / dt : 0;
    last_ops_ = e.ops;
    last_elapsed_s_ = e.elapsed_s;
    const std::string total = e.planned_s > 0 ? fmt::format("/{:.0f}", e.planned_s) : "";
    print(stderr, "\r\033[K{} {} {:.0f}{} s  {}  {}", prefix, e.phase, e.elapsed_s, total,
          e.ops > 0 ? fmt::format("{:.0f} ops/s", rate) : std::string("-"),
          format_bytes(static_cast<double>(e.bytes)));
    line_open_ = true;
  } else if (e.kind == ProgressEvent::Kind::run_end) {
    finish_line();
    print(stderr, "{} {}\n", prefix, e.note);
  }
}

}  // namespace memgate::cli
