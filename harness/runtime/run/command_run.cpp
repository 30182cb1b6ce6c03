#include "runtime/run/command_run.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstring>

#include "core/metrics/run_metrics.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/run_warnings.hpp"
#include "runtime/watch/cgroup_peak.hpp"
#include "runtime/watch/proc_tree_source.hpp"

namespace memgate {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

CommandRunResult run_command(const CommandRunOptions& options) {
  using Clock = std::chrono::steady_clock;
  CommandRunResult result;
  RunRecord& run = result.run;
  run.index = 1;
  run.interval_ms = options.watch.interval_ms;
  run.memory_kind = options.watch.memory == MemoryKind::pss ? "pss" : "rss";

  std::string no_cgroup;
  const auto cgroup = CgroupPeak::try_create(no_cgroup);
  LaunchSpec launch = options.launch;
  if (cgroup) launch.cgroup_procs_fd = cgroup->procs_fd();

  const auto t0 = Clock::now();
  SutProcess sut(launch);
  const bool in_cgroup = cgroup && (!sut.running() || cgroup->contains(sut.pid()));
  if (in_cgroup) sut.set_extra_pids([&] { return cgroup->pids(); });
  Watcher watcher(std::make_unique<ProcTreeSource>(sut.pid(), options.watch.memory,
                                                   sut.launch_sequence()), options.watch,
                  t0);
  watcher.start();

  while (!(result.exit = sut.wait_exit(50))) {
    if (interrupt::requested()) {
      result.interrupted = true;
      break;
    }
    if (options.timeout_s > 0 && ms_since(t0) > options.timeout_s * 1000) {
      result.timed_out = true;
      break;
    }
  }
  const double end_ms = ms_since(t0);
  const std::size_t outlived = result.exit ? ProcTreeSource(sut.pid(), MemoryKind::rss, sut.launch_sequence()).pids().size()
                                           : 0;
  const WatchResult watched = watcher.stop();
  const auto stopped = sut.stop(options.stop_grace_s);
  if (!result.exit) result.exit = stopped;
  if (sut.killed() > 0 && options.stop_grace_s > 0) {
    run.warnings.push_back(killed_warning(sut.killed(), options.stop_grace_s));
  }
  if (!sut.survivors().empty()) {
    run.invalidate(fmt::format("{} process(es) of the command's tree could not be stopped: pid {}",
                               sut.survivors().size(), fmt::join(sut.survivors(), ", ")));
  }
  if (cgroup && !in_cgroup) {
    run.warnings.push_back("the command could not join its memory cgroup: no cgroup peak");
  }

  const double warmup_ms = std::min(options.warmup_s * 1000, end_ms);
  if (warmup_ms > 0) run.phases.push_back({"warmup", 0, warmup_ms});
  run.phases.push_back({"load", warmup_ms, end_ms});
  run.samples = watched.samples;
  run.peak = {watched.max_sample_bytes, watched.hwm_peak_bytes, watched.exit_peak_bytes,
              in_cgroup ? cgroup->peak_bytes() : std::nullopt, watched.hwm_complete};
  run.max_processes = watched.max_processes;
  run.late_ticks = watched.late_ticks;
  run.metrics = compute_run_metrics(run.samples, run.phases, watched.peak_bytes, std::nullopt, 0,
                                    std::nullopt);
  run.sut_log_tail = sut.log_tail();
  if (result.exit) run.sut_exit = result.exit->describe();

  if (result.interrupted) {
    run.invalidate(fmt::format("interrupted by SIG{}", sigabbrev_np(interrupt::signal_number())));
  } else if (result.timed_out) {
    run.invalidate(fmt::format("the command ran longer than its {} s limit and was stopped",
                               options.timeout_s));
  } else if (!result.exit->exited_normally() || result.exit->exit_code() != 0) {
    run.invalidate("the command " + result.exit->describe());
  }
  if (outlived > 0) {
    run.warnings.push_back(fmt::format(
        "{} process(es) of the tree outlived the command; memgate stopped them", outlived));
  }
  if (!watched.hwm_complete) run.warnings.push_back(kHwmIncompleteWarning);
  if (run.samples.size() < 10) {
    run.warnings.push_back(fmt::format("only {} samples: use a shorter --interval-ms for a "
                                       "short command", run.samples.size()));
  }
  return result;
}

}  // namespace memgate
