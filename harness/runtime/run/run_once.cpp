#include "runtime/run/run_once.hpp"

#include <fmt/format.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <memory>

#include "core/metrics/run_metrics.hpp"
#include "core/metrics/validity.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/drivers/driver_factory.hpp"
#include "runtime/drivers/redis_info_probe.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"
#include "runtime/run/command_run.hpp"
#include "runtime/run/readiness.hpp"
#include "runtime/run/run_warnings.hpp"
#include "runtime/watch/cgroup_peak.hpp"
#include "runtime/watch/proc_tree_source.hpp"
#include "runtime/watch/watcher.hpp"

namespace memgate {

namespace {

using Clock = std::chrono::steady_clock;

// SUT-side figures are sampled at most this often: INFO runs on Redis's main thread.
constexpr int kMinProbeIntervalMs = 100;
// A driver's loops stop by themselves this long after the phases should have ended.
constexpr auto kDriverDeadlineSlack = std::chrono::seconds(30);
// How long a driver's fatal error waits for the SUT's exit, the likelier cause, to be recorded.
constexpr double kSutExitWaitMs = 100;

std::string with_hint(const Error& e) {
  return e.hint().empty() ? e.what() : fmt::format("{} ({})", e.what(), e.hint());
}

LatencySummary summarize_latency(const LatencyHistogram& h) {
  return {h.quantile_ns(0.50) / 1e6, h.quantile_ns(0.95) / 1e6, h.quantile_ns(0.99) / 1e6,
          h.max_ns() / 1e6, h.count()};
}

// One repetition, as an object so that teardown always runs on what was started.
class RunOnce {
 public:
  RunOnce(const Scenario& scenario, int index, const RunSettings& settings)
      : base_(scenario), index_(index), settings_(settings) {}

  RunRecord execute();

 private:
  void run_phases();
  void teardown();
  RunRecord run_command_scenario();
  double now_ms() const { return std::chrono::duration<double, std::milli>(Clock::now() - t0_).count(); }
  std::optional<std::string> why_stop() const;
  bool hold(const char* phase, double seconds, const std::function<bool()>& done = {});
  void begin_phase(const char* phase, double planned_s);
  void end_phase() { run_.phases.back().end_ms = now_ms(); }
  void emit(ProgressEvent event) const;
  std::string log_path() const {
    return fmt::format("{}/sut-run{}.log", settings_.out_dir, index_);
  }

  const Scenario& base_;
  Scenario scenario_;
  int index_;
  const RunSettings& settings_;
  RunRecord run_;
  Clock::time_point t0_;
  std::optional<std::string> abort_;  // why the run stopped early
  std::unique_ptr<CgroupPeak> cgroup_;
  std::unique_ptr<SutProcess> sut_;
  std::unique_ptr<Watcher> watcher_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<RedisInfoProbe> probe_;
  std::optional<DriverReport> driver_report_;
  double teardown_ms_ = 0;
  std::int64_t peak_bytes_ = 0;  // the Watcher's peak (0 when the SUT never started)
};

void RunOnce::emit(ProgressEvent event) const {
  if (!settings_.progress) return;
  event.run = index_;
  event.runs = settings_.first_index - 1 + settings_.repeat;
  settings_.progress(event);
}

void RunOnce::begin_phase(const char* phase, double planned_s) {
  run_.phases.push_back({phase, now_ms(), now_ms()});
  emit({ProgressEvent::Kind::phase_start, 0, 0, phase, planned_s, 0, 0,
        watcher_ ? watcher_->last_bytes() : 0, {}});
}

std::optional<std::string> RunOnce::why_stop() const {
  if (interrupt::requested()) {
    return fmt::format("interrupted by SIG{}", sigabbrev_np(interrupt::signal_number()));
  }
  if (const auto exit = sut_->exit_info()) {
    return fmt::format("the SUT {} during the {} phase", exit->describe(),
                       run_.phases.empty() ? "first" : run_.phases.back().name);
  }
  if (driver_) {
    if (auto fatal = driver_->fatal()) {
      // A driver usually notices a dead SUT (a refused connection) before the reaper records
      // its exit: the exit, when it comes at once, is the better reason.
      if (const auto exit = sut_->wait_exit(kSutExitWaitMs)) {
        return fmt::format("the SUT {} during the {} phase ({})", exit->describe(),
                           run_.phases.empty() ? "first" : run_.phases.back().name, *fatal);
      }
      return fatal;
    }
  }
  if (probe_) {
    if (auto problem = probe_->problem()) return problem;
  }
  return std::nullopt;
}

// Holds the current phase for `seconds` (or until done() says it is over), watching for
// anything that ends the run. Returns false when the run must stop.
bool RunOnce::hold(const char* phase, double seconds, const std::function<bool()>& done) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
  auto next_tick = start + std::chrono::seconds(1);
  while (true) {
    if (auto why = why_stop()) {
      abort_ = std::move(why);
      return false;
    }
    if (done && done()) return true;
    const auto now = Clock::now();
    if (now >= until) return !done;  // a done() phase that timed out did not finish
    if (now >= next_tick) {
      next_tick += std::chrono::seconds(1);
      emit({ProgressEvent::Kind::tick, 0, 0, phase, seconds,
            std::chrono::duration<double>(now - start).count(),
            driver_ ? driver_->load_ops() : 0, watcher_->last_bytes(), {}});
    }
    interrupt::sleep_for(std::min(5.0, std::chrono::duration<double, std::milli>(until - now).count()));
  }
}

void RunOnce::run_phases() {
  const PhasesSpec& p = scenario_.phases;
  driver_ = make_driver(scenario_);  // before the SUT: a driver that cannot be set up costs none

  std::string no_cgroup;
  cgroup_ = CgroupPeak::try_create(no_cgroup);
  LaunchSpec launch;
  launch.argv = scenario_.sut.command;
  launch.env = scenario_.sut.env;
  launch.cwd = scenario_.sut.cwd;
  launch.log_path = log_path();
  if (scenario_.sut.ready) {
    if (const auto* log = std::get_if<ReadyLog>(&scenario_.sut.ready->how)) {
      launch.watched_texts.push_back(log->text);
    }
  }
  if (cgroup_) launch.cgroup_procs_fd = cgroup_->procs_fd();
  if (const auto* text = std::get_if<TextBatchDriverSpec>(&scenario_.driver);
      text && text->transport == "stdin") {
    launch.pipe_stdin = launch.pipe_stdout = true;  // the driver's channel; stderr goes to the log
  }
  t0_ = Clock::now();
  sut_ = std::make_unique<SutProcess>(launch);
  if (cgroup_ && sut_->running() && !cgroup_->contains(sut_->pid())) {
    run_.warnings.push_back("the SUT could not join its memory cgroup: no cgroup peak");
    cgroup_.reset();
  }
  sut_->set_extra_pids([this] { return cgroup_ ? cgroup_->pids() : std::vector<int>{}; });
  WatchOptions watch;
  watch.interval_ms = scenario_.watch.interval_ms;
  watch.memory = scenario_.watch.memory;
  watcher_ = std::make_unique<Watcher>(
      std::make_unique<ProcTreeSource>(sut_->pid(), scenario_.watch.memory,
                                       sut_->launch_sequence()), watch, t0_);
  watcher_->start();
  driver_->attach(*sut_);

  // Waiting for readiness is not a phase of the report: idle starts when the SUT is ready.
  emit({ProgressEvent::Kind::phase_start, 0, 0, "ready",
        scenario_.sut.ready ? scenario_.sut.ready->timeout_s : 0, 0, 0, 0, {}});
  if (scenario_.sut.ready) wait_until_ready(*sut_, *scenario_.sut.ready);

  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario_.driver)) {
    probe_ = std::make_unique<RedisInfoProbe>(
        redis->host, redis->port, static_cast<RedisQueueDriver&>(*driver_).password(),
        std::max(kMinProbeIntervalMs, scenario_.watch.interval_ms), t0_);
    probe_->start();
  }

  begin_phase("idle", p.idle_s);
  const bool idle_ok = hold("idle", p.idle_s);
  end_phase();
  if (!idle_ok) return;

  driver_->connect();
  const double load_bound_s = p.load_s.value_or(p.load_timeout_s);
  // Without a warm-up the very first operation belongs to the load phase.
  if (p.warmup_s == 0) driver_->begin_load(p.load_ops);
  driver_->start(Clock::now() +
                 std::chrono::microseconds(static_cast<long long>((p.warmup_s + load_bound_s) * 1e6)) +
                 kDriverDeadlineSlack);
  if (p.warmup_s > 0) {
    begin_phase("warmup", p.warmup_s);
    const bool warm_ok = hold("warmup", p.warmup_s);
    end_phase();
    if (!warm_ok) return;
  }

  if (p.warmup_s > 0) driver_->begin_load(p.load_ops);
  begin_phase("load", p.load_s.value_or(0));
  bool load_ok;
  if (p.load_ops) {
    load_ok = hold("load", p.load_timeout_s, [this] { return driver_->limit_reached_at().has_value(); });
    if (!load_ok && !abort_) {
      abort_ = driver_->load_ops() >= *p.load_ops
                   ? fmt::format("the {} operations completed, but the load did not settle (e.g. "
                                 "the consumers did not drain the queues) within load_timeout_s "
                                 "({} s)", *p.load_ops, p.load_timeout_s)
                   : fmt::format("the load did not complete {} operations within load_timeout_s "
                                 "({} s): {} done", *p.load_ops, p.load_timeout_s,
                                 driver_->load_ops());
    }
  } else {
    load_ok = hold("load", *p.load_s);
  }
  end_phase();
  if (const auto reached = driver_->limit_reached_at()) {
    run_.phases.back().end_ms = std::chrono::duration<double, std::milli>(*reached - t0_).count();
  }
  driver_report_ = driver_->stop();
  if (!load_ok) return;

  begin_phase("cooldown", p.cooldown_s);
  hold("cooldown", p.cooldown_s);
  end_phase();
}

void RunOnce::teardown() {
  teardown_ms_ = sut_ ? now_ms() : 0;
  if (driver_ && !driver_report_) driver_report_ = driver_->stop();
  if (probe_) {
    if (sut_ && sut_->running()) {
      const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario_.driver);
      probe_->final_snapshot(redis ? static_cast<RedisQueueDriver&>(*driver_).queue_keys()
                                   : std::vector<std::string>{});
    }
    probe_->stop();
    if (auto problem = probe_->problem(); problem && !abort_) abort_ = problem;
  }
  if (!sut_) return;
  const std::optional<ExitInfo> died_before = sut_->exit_info();
  const WatchResult watched = watcher_->stop();
  const double grace_s = interrupt::count() >= 2 ? 0 : scenario_.sut.stop_grace_s;
  sut_->stop(grace_s);
  if (sut_->killed() > 0 && grace_s > 0) {
    run_.warnings.push_back(killed_warning(sut_->killed(), grace_s));
  }
  if (!sut_->survivors().empty()) {
    run_.invalidate(fmt::format("{} process(es) of the SUT could not be stopped: pid {}",
                                sut_->survivors().size(), fmt::join(sut_->survivors(), ", ")));
  }

  run_.samples = watched.samples;
  run_.peak = {watched.max_sample_bytes, watched.hwm_peak_bytes, watched.exit_peak_bytes,
               cgroup_ ? cgroup_->peak_bytes() : std::nullopt, watched.hwm_complete};
  run_.max_processes = watched.max_processes;
  run_.late_ticks = watched.late_ticks;
  peak_bytes_ = watched.peak_bytes;
  if (died_before) {
    run_.sut_exit = died_before->describe();
    // Whatever the phases saw, a SUT that was gone before memgate stopped it is a failed run.
    if (!abort_) abort_ = fmt::format("the SUT {} before memgate stopped it", died_before->describe());
  }
  if (watched.lost_at_ms && *watched.lost_at_ms < teardown_ms_ && !died_before) {
    run_.invalidate(fmt::format("the watcher lost the SUT's process tree at {:.0f} ms",
                                *watched.lost_at_ms));
  }
  if (!watched.hwm_complete) run_.warnings.push_back(kHwmIncompleteWarning);
  if (watched.late_ticks > 0) {
    run_.warnings.push_back(fmt::format("{} sampling ticks were late and skipped (the machine "
                                        "is overloaded or the interval too short)",
                                        watched.late_ticks));
  }
}

RunRecord RunOnce::run_command_scenario() {
  CommandRunOptions options;
  options.launch.argv = scenario_.sut.command;
  options.launch.env = scenario_.sut.env;
  options.launch.cwd = scenario_.sut.cwd;
  options.launch.log_path = log_path();
  options.watch.interval_ms = scenario_.watch.interval_ms;
  options.watch.memory = scenario_.watch.memory;
  options.warmup_s = scenario_.phases.warmup_s;
  options.timeout_s = scenario_.phases.load_timeout_s;
  options.stop_grace_s = scenario_.sut.stop_grace_s;
  emit({ProgressEvent::Kind::phase_start, 0, 0, "load", 0, 0, 0, 0, {}});
  RunRecord run = run_command(options).run;
  run.index = index_;
  return run;
}

RunRecord RunOnce::execute() {
  run_.index = index_;
  run_.interval_ms = base_.watch.interval_ms;
  run_.memory_kind = base_.watch.memory == MemoryKind::pss ? "pss" : "rss";
  try {
    scenario_ = needs_port(base_) ? instantiate(base_, net::free_loopback_port()) : base_;
    if (std::holds_alternative<CommandDriverSpec>(scenario_.driver)) {
      RunRecord run = run_command_scenario();
      emit({ProgressEvent::Kind::run_end, 0, 0, "", 0, 0, 0, 0,
            run.valid ? "valid" : run.problems.front()});
      return run;
    }
    run_phases();
  } catch (const RunError& e) {
    abort_ = with_hint(e);
    if (!e.log_tail().empty()) run_.sut_log_tail = e.log_tail();
  }
  teardown();

  const auto latency = driver_report_ && driver_report_->latency.count() > 0
                           ? std::optional(summarize_latency(driver_report_->latency))
                           : std::nullopt;
  const std::int64_t ops = driver_report_ ? driver_report_->ops : 0;
  const std::int64_t errors = driver_report_ ? driver_report_->errors : 0;
  run_.metrics = compute_run_metrics(run_.samples, run_.phases, peak_bytes_, ops, errors, latency);
  if (driver_report_ && driver_report_->ops_done_at) {
    // load_ops: the throughput is over the time the operations took, not the whole load phase.
    if (const PhaseSpan* load = find_phase(run_.phases, "load")) {
      const double done_ms =
          std::chrono::duration<double, std::milli>(*driver_report_->ops_done_at - t0_).count();
      if (done_ms > load->start_ms) {
        run_.metrics.throughput_per_s = static_cast<double>(ops) / ((done_ms - load->start_ms) / 1000);
      }
    }
  }
  if (abort_) run_.invalidate(*abort_);
  if (driver_report_) {
    run_.driver = driver_report_->details;
    // Text batches: the rate in batches beside the rate in texts (the metric).
    if (const PhaseSpan* load = find_phase(run_.phases, "load");
        load && load->end_ms > load->start_ms && run_.driver.contains("batches")) {
      const double batches = run_.driver["batches"].value("load", 0.0);
      run_.driver["batches_per_s"] = std::round(batches / ((load->end_ms - load->start_ms) / 1000) * 1000) / 1000;
    }
    for (const auto& problem : driver_report_->problems) {
      if (!abort_ || problem != *abort_) run_.invalidate(problem);
    }
    if (!abort_) {
      for (auto& problem : validity_problems({ops, errors, base_.max_errors,
                                              driver_report_->target_rate_per_s,
                                              run_.metrics.throughput_per_s})) {
        run_.invalidate(std::move(problem));
      }
    }
  }
  if (probe_) run_.sut_figures["redis"] = probe_->figures(run_.phases);
  if (!run_.valid && run_.sut_log_tail.empty() && sut_) run_.sut_log_tail = sut_->log_tail();
  emit({ProgressEvent::Kind::run_end, 0, 0, "", 0, 0, 0, 0,
        run_.valid ? "valid" : run_.problems.front()});
  return run_;
}

}  // namespace

RunRecord run_once(const Scenario& scenario, int index, const RunSettings& settings) {
  return RunOnce(scenario, index, settings).execute();
}

}  // namespace memgate
