#include "runtime/run/run_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/metrics/run_metrics.hpp"
#include "core/metrics/validity.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/run/run_warnings.hpp"

namespace memgate {

namespace {

using Clock = std::chrono::steady_clock;

// A driver's loops stop by themselves this long after the phases should have ended.
constexpr auto kDriverDeadlineSlack = std::chrono::seconds(30);
// How long a driver's fatal error waits for a process's exit, the likelier cause, to be recorded.
constexpr double kExitWaitMs = 100;
// A command scenario with fewer samples than this gets a warning.
constexpr std::size_t kFewSamples = 10;

std::string with_hint(const Error& e) {
  return e.hint().empty() ? e.what() : fmt::format("{} ({})", e.what(), e.hint());
}

LatencySummary summarize_latency(const LatencyHistogram& h) {
  return {h.quantile_ns(0.50) / 1e6, h.quantile_ns(0.95) / 1e6, h.quantile_ns(0.99) / 1e6,
          h.max_ns() / 1e6, h.count()};
}

class Session : private ProcessLauncher {
 public:
  Session(const Scenario& scenario, RunBackend& backend, const SessionSettings& settings)
      : base_(scenario), backend_(backend), settings_(settings) {}

  RunRecord run();

 private:
  // The driver's own processes (a load command's), started as the role "load".
  RoleProcess& launch(const RoleSpec& role, const std::string& log_name,
                      std::size_t stdout_lines) override;
  Clock::time_point now() override { return backend_.now(); }
  void start_processes();
  void run_load_phases();
  void run_command_phases();
  bool hold(const char* phase, double seconds, const std::function<bool()>& done = {},
            bool done_required = true);
  bool hold_load(double seconds);
  std::optional<std::string> why_stop();
  std::optional<std::string> exited_role(const std::string& fatal);
  void begin_phase(const char* phase, double planned_s);
  void end_phase();
  // CPU time so far: the SUT's tree, the services', memgate's, the machine's.
  struct CpuMark {
    Clock::time_point t;
    std::int64_t sut_us = 0, services_us = 0, load_us = 0, self_us = 0;
    MachineCpuTime machine;
  };
  CpuMark mark();
  void record_cpu(const std::string& phase, const CpuMark& start, const CpuMark& end);
  double now_ms() { return ms_at(backend_.now()); }
  double ms_at(Clock::time_point t) const {
    return std::chrono::duration<double, std::milli>(t - t0_).count();
  }
  const char* phase_name() const {
    return run_.phases.empty() ? "first" : run_.phases.back().name.c_str();
  }
  void emit(ProgressEvent event) const;
  std::string log_path(const std::string& role, const char* extension = "log") const {
    return settings_.run_dir.empty() ? ""
                                     : fmt::format("{}/{}.{}", settings_.run_dir, role, extension);
  }
  void stop_role(RoleProcess& process, const RoleSpec& role);
  void teardown();
  void collect();
  void collect_load();

  const Scenario& base_;
  RunBackend& backend_;
  const SessionSettings& settings_;
  Scenario scenario_;
  DriverTraits traits_;
  RunRecord run_;
  Clock::time_point t0_;
  std::optional<std::string> abort_;                    // why the run stopped early
  std::vector<std::unique_ptr<RoleProcess>> services_;  // those started, in order
  std::unique_ptr<RoleProcess> sut_;
  // The driver's own processes, with the spec each was started from (the driver's).
  std::vector<std::pair<const RoleSpec*, std::unique_ptr<RoleProcess>>> load_processes_;
  std::unique_ptr<MemoryWatch> watch_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<SideProbe> probe_;
  std::optional<DriverReport> driver_report_;
  WatchResult watched_;
  double teardown_ms_ = 0;
  std::optional<ExitInfo> sut_died_;  // the SUT's root exited before memgate stopped it
  std::vector<std::optional<ExitInfo>> services_died_;  // the same, per service started
  std::size_t command_outlived_ = 0;  // members of a command's tree left after it exited
  std::string blame_ = "sut";         // the role whose last lines explain a failed run
  CpuMark phase_start_;               // taken when the current phase began
};

Session::CpuMark Session::mark() {
  CpuMark m;
  m.t = backend_.now();
  m.sut_us = sut_ ? sut_->cpu_us() : 0;
  for (const auto& service : services_) m.services_us += service->cpu_us();
  for (const auto& [role, process] : load_processes_) m.load_us += process->cpu_us();
  m.self_us = backend_.self_cpu_us();
  m.machine = backend_.machine_cpu();
  return m;
}

void Session::record_cpu(const std::string& phase, const CpuMark& start, const CpuMark& end) {
  PhaseCpu c;
  c.phase = phase;
  c.elapsed_ms = std::chrono::duration<double, std::milli>(end.t - start.t).count();
  c.cpus = end.machine.cpus;
  // A reading can miss a process that was reaped while it was taken (see SutProcess::cpu_us):
  // a phase never has less than no CPU.
  const auto ms = [](std::int64_t from, std::int64_t to) {
    return std::max(0.0, static_cast<double>(to - from) / 1000);
  };
  c.sut_ms = ms(start.sut_us, end.sut_us);
  c.services_ms = ms(start.services_us, end.services_us);
  c.load_ms = ms(start.load_us, end.load_us);
  c.memgate_ms = ms(start.self_us, end.self_us);
  const double capacity_ms = c.elapsed_ms * c.cpus;
  if (capacity_ms > 0) {
    const double steal_ms = ms(start.machine.steal_us, end.machine.steal_us);
    // The processes' share: the capacity less what was idle, stolen or the kernel's own.
    const double busy_ms = capacity_ms - ms(start.machine.idle_us, end.machine.idle_us) - steal_ms -
                           ms(start.machine.kernel_us, end.machine.kernel_us);
    const double others_ms = busy_ms - c.sut_ms - c.services_ms - c.load_ms - c.memgate_ms;
    c.others_pct = std::clamp(others_ms / capacity_ms * 100, 0.0, 100.0);
    c.steal_pct = std::clamp(steal_ms / capacity_ms * 100, 0.0, 100.0);
  }
  run_.cpu.push_back(c);
}

void Session::end_phase() {
  run_.phases.back().end_ms = now_ms();
  record_cpu(run_.phases.back().name, phase_start_, mark());
}

void Session::emit(ProgressEvent event) const {
  if (!settings_.progress) return;
  event.run = settings_.index;
  event.runs = settings_.runs;
  settings_.progress(event);
}

void Session::begin_phase(const char* phase, double planned_s) {
  phase_start_ = mark();
  run_.phases.push_back({phase, now_ms(), now_ms()});
  ProgressEvent e;
  e.phase = phase;
  e.planned_s = planned_s;
  e.bytes = watch_ ? watch_->last_bytes() : 0;
  emit(e);
}

// The exit of the SUT or of a service, waited for briefly: a driver usually notices a dead
// process (a refused connection) before the reaper records its exit, and the exit is the better
// reason.
std::optional<std::string> Session::exited_role(const std::string& fatal) {
  const auto deadline =
      backend_.now() + std::chrono::microseconds(static_cast<long long>(kExitWaitMs * 1000));
  do {
    if (const auto exit = sut_->exit_info()) {
      return fmt::format("the SUT {} during the {} phase ({})", exit->describe(), phase_name(),
                         fatal);
    }
    for (std::size_t i = 0; i < services_.size(); ++i) {
      if (const auto exit = services_[i]->exit_info()) {
        blame_ = scenario_.services[i].name;
        return fmt::format("{} {} during the {} phase ({})", who(blame_), exit->describe(),
                           phase_name(), fatal);
      }
    }
    backend_.sleep_ms(10);
  } while (backend_.now() < deadline);
  return std::nullopt;
}

std::optional<std::string> Session::why_stop() {
  if (auto interrupted = backend_.interruption()) return interrupted;
  if (traits_.has_operations) {
    if (const auto exit = sut_->exit_info()) {
      return fmt::format("the SUT {} during the {} phase", exit->describe(), phase_name());
    }
  }
  for (std::size_t i = 0; i < services_.size(); ++i) {
    if (const auto exit = services_[i]->exit_info()) {
      blame_ = scenario_.services[i].name;
      return fmt::format("{} {} during the {} phase", who(blame_), exit->describe(), phase_name());
    }
  }
  if (driver_) {
    if (auto fatal = driver_->fatal()) {
      if (auto exited = exited_role(*fatal)) return exited;
      if (!load_processes_.empty()) blame_ = "load";  // its own process failed
      return fatal;
    }
  }
  if (probe_) {
    if (auto problem = probe_->problem()) return problem;
  }
  return std::nullopt;
}

// Holds the current phase for `seconds` (or until done() says it is over), watching for
// anything that ends the run. Returns false when the run must stop (abort_ says why) or a
// done() phase ran out of time while done_required.
bool Session::hold(const char* phase, double seconds, const std::function<bool()>& done,
                   bool done_required) {
  const auto start = backend_.now();
  const auto until = start + std::chrono::microseconds(static_cast<long long>(seconds * 1e6));
  auto next_tick = start + std::chrono::seconds(1);
  while (true) {
    if (auto why = why_stop()) {
      abort_ = std::move(why);
      return false;
    }
    if (done && done()) return true;
    const auto now = backend_.now();
    if (now >= until) return !done || !done_required;
    if (now >= next_tick) {
      next_tick += std::chrono::seconds(1);
      ProgressEvent e;
      e.kind = ProgressEvent::Kind::tick;
      e.phase = phase;
      e.planned_s = seconds;
      e.elapsed_s = std::chrono::duration<double>(now - start).count();
      e.ops = driver_ ? driver_->load_ops() : 0;
      e.bytes = watch_->last_bytes();
      emit(e);
    }
    backend_.sleep_ms(
        std::min(5.0, std::chrono::duration<double, std::milli>(until - now).count()));
  }
}

void Session::start_processes() {
  t0_ = backend_.now();
  for (const RoleSpec& service : scenario_.services) {
    ProgressEvent e;
    e.phase = "ready";
    e.service = service.name;
    for (const auto& probe : service.ready) e.planned_s += probe.timeout_s;
    emit(e);
    blame_ = service.name;  // until it is ready, a failure is its
    RoleLaunch how;
    how.role = &service;
    how.log_path = log_path(service.name);
    services_.push_back(backend_.launch(how));
    for (auto& w : backend_.wait_ready(*services_.back(), service)) {
      run_.warnings.push_back(std::move(w));
    }
    blame_ = "sut";
  }
  RoleLaunch how;
  how.role = &scenario_.sut;
  how.log_path = log_path("sut");
  how.inherit_output = settings_.inherit_output;
  how.stdin_channel = traits_.stdin_channel;
  sut_ = backend_.launch(how);
  for (const auto& process : services_) {
    for (auto& w : process->launch_warnings()) run_.warnings.push_back(std::move(w));
  }
  for (auto& w : sut_->launch_warnings()) run_.warnings.push_back(std::move(w));
  std::vector<std::pair<std::string, RoleProcess*>> trees{{"sut", sut_.get()}};
  for (std::size_t i = 0; i < services_.size(); ++i) {
    trees.emplace_back(scenario_.services[i].name, services_[i].get());
  }
  if (traits_.runs_load_processes) trees.emplace_back("load", nullptr);  // see launch()
  watch_ = backend_.watch(trees, scenario_.watch, t0_);
  watch_->start();
}

RoleProcess& Session::launch(const RoleSpec& role, const std::string& log_name,
                             std::size_t stdout_lines) {
  RoleLaunch how;
  how.role = &role;
  how.log_path = log_path(log_name);
  how.stdout_lines = stdout_lines;
  how.stdout_log_path = log_path(log_name, "out");
  load_processes_.emplace_back(&role, backend_.launch(how));
  RoleProcess& process = *load_processes_.back().second;
  for (auto& w : process.launch_warnings()) run_.warnings.push_back(std::move(w));
  backend_.watch_more(*watch_, role.name, process, scenario_.watch);
  return process;
}

// The load phase of load_s: over at its time, or earlier when the driver's work is done (a load
// command that exited 0); a driver whose work must end by itself gets its overrun past the time.
bool Session::hold_load(double seconds) {
  const auto done = [this] { return driver_->limit_reached_at().has_value(); };
  if (!hold("load", seconds, done, false)) return false;
  if (done() || driver_->overrun_s() <= 0) return true;
  return hold("load", driver_->overrun_s(), done, false);
}

void Session::run_load_phases() {
  const PhasesSpec& p = scenario_.phases;
  driver_->attach(sut_->channel());
  driver_->attach_launcher(*this);
  // Waiting for readiness is not a phase of the report: idle starts when the SUT is ready.
  ProgressEvent ready;
  ready.phase = "ready";
  for (const auto& probe : scenario_.sut.ready) ready.planned_s += probe.timeout_s;
  emit(ready);
  for (auto& w : backend_.wait_ready(*sut_, scenario_.sut)) run_.warnings.push_back(std::move(w));
  probe_ = backend_.make_probe(traits_, scenario_.watch.interval_ms, t0_);
  if (probe_) probe_->start();

  begin_phase("idle", p.idle_s);
  const bool idle_ok = hold("idle", p.idle_s);
  end_phase();
  if (!idle_ok) return;

  driver_->connect();
  const double load_bound_s = p.load_s.value_or(p.load_timeout_s);
  const auto deadline =
      backend_.now() +
      std::chrono::microseconds(static_cast<long long>((p.warmup_s + load_bound_s) * 1e6)) +
      kDriverDeadlineSlack;
  // Each phase begins (its time and CPU marked) before its first operation: without a warm-up
  // the very first operation belongs to the load phase.
  if (p.warmup_s > 0) {
    begin_phase("warmup", p.warmup_s);
    driver_->start(deadline);
    const bool warm_ok = hold(
        "warmup", p.warmup_s, [this] { return driver_->warmup_done(); }, false);
    end_phase();
    if (!warm_ok) return;
    begin_phase("load", p.load_s.value_or(0));
    driver_->begin_load(p.load_ops);
  } else {
    begin_phase("load", p.load_s.value_or(0));
    driver_->begin_load(p.load_ops);
    driver_->start(deadline);
  }
  bool load_ok;
  if (p.load_ops) {
    load_ok =
        hold("load", p.load_timeout_s, [this] { return driver_->limit_reached_at().has_value(); });
    if (!load_ok && !abort_ && !traits_.live_ops) {
      abort_ = fmt::format("the load command did not finish its work within load_timeout_s ({} s)",
                           p.load_timeout_s);
    } else if (!load_ok && !abort_) {
      abort_ = driver_->load_ops() >= *p.load_ops
                   ? fmt::format(
                         "the {} operations completed, but the load did not settle (e.g. "
                         "the consumers did not drain the queues) within load_timeout_s "
                         "({} s)",
                         *p.load_ops, p.load_timeout_s)
                   : fmt::format(
                         "the load did not complete {} {}s within load_timeout_s ({} s): "
                         "{} done",
                         *p.load_ops, traits_.op_unit, p.load_timeout_s, driver_->load_ops());
    }
  } else {
    load_ok = hold_load(*p.load_s);
  }
  end_phase();
  if (const auto reached = driver_->limit_reached_at()) {
    run_.phases.back().end_ms = std::max(run_.phases.back().start_ms, ms_at(*reached));
  }
  driver_report_ = driver_->stop();
  if (!load_ok) return;

  begin_phase("cooldown", p.cooldown_s);
  hold("cooldown", p.cooldown_s);
  end_phase();
}

void Session::run_command_phases() {
  const PhasesSpec& p = scenario_.phases;
  ProgressEvent load;
  load.phase = "load";
  emit(load);
  // The command's whole life is the load; a warm-up, when asked for, is cut from its start
  // once the life is over.
  const double start_ms = now_ms();
  const CpuMark start = mark();
  run_.phases.push_back({"load", start_ms, start_ms});
  const bool exited =
      hold("load", p.load_timeout_s, [this] { return sut_->exit_info().has_value(); });
  const double end_ms = now_ms();
  record_cpu("load", start, mark());
  if (!exited && !abort_) {
    abort_ =
        fmt::format("the command ran longer than its {} s limit and was stopped", p.load_timeout_s);
  }
  const double warmup_end_ms = std::min(start_ms + p.warmup_s * 1000, end_ms);
  run_.phases.back() = {"load", warmup_end_ms, end_ms};
  if (warmup_end_ms > start_ms) {
    run_.phases.insert(run_.phases.begin(), {"warmup", start_ms, warmup_end_ms});
  }
  if (exited) {
    command_outlived_ = sut_->tree_pids().size();
    const ExitInfo exit = *sut_->exit_info();
    run_.sut_exit_status = exit.exited_normally() ? exit.exit_code() : 128 + exit.term_signal();
    if (!abort_ && (!exit.exited_normally() || exit.exit_code() != 0)) {
      abort_ = "the command " + exit.describe();
    }
  }
}

void Session::stop_role(RoleProcess& process, const RoleSpec& role) {
  const double grace_s = backend_.hurry() ? 0 : role.stop_grace_s;
  const RoleProcess::Stopped stopped = process.stop(grace_s);
  if (stopped.killed > 0 && grace_s > 0) {
    run_.warnings.push_back(killed_warning(role.name, stopped.killed, grace_s));
  }
  if (!stopped.survivors.empty()) {
    run_.invalidate(fmt::format("{} process(es) of {} could not be stopped: pid {}",
                                stopped.survivors.size(), who(role.name),
                                fmt::join(stopped.survivors, ", ")));
  }
}

void Session::teardown() {
  teardown_ms_ = sut_ ? now_ms() : 0;
  // The driver stops its own processes (a load command's); interrupted twice, they go first,
  // without grace. A second stop returns the first's outcome, for the warnings.
  if (backend_.hurry()) {
    for (auto& [role, process] : load_processes_) stop_role(*process, *role);
  }
  if (driver_ && !driver_report_) driver_report_ = driver_->stop();
  for (auto& [role, process] : load_processes_) stop_role(*process, *role);
  if (probe_) {
    const RoleProcess* target = probe_->role() == "sut" ? sut_.get() : nullptr;
    for (std::size_t i = 0; i < services_.size(); ++i) {
      if (scenario_.services[i].name == probe_->role()) target = services_[i].get();
    }
    if (target && !target->exit_info()) probe_->final_snapshot();
    probe_->stop();
    if (auto problem = probe_->problem(); problem && !abort_) abort_ = problem;
  }
  if (watch_) watched_ = watch_->stop();
  if (sut_) {
    if (traits_.has_operations) sut_died_ = sut_->exit_info();
    stop_role(*sut_, scenario_.sut);
  }
  services_died_.resize(services_.size());
  for (std::size_t i = services_.size(); i-- > 0;) {
    const RoleSpec& role = scenario_.services[i];
    services_died_[i] = services_[i]->exit_info();
    if (services_died_[i] && !abort_) {
      abort_ = fmt::format("{} {} before memgate stopped it", who(role.name),
                           services_died_[i]->describe());
    }
    stop_role(*services_[i], role);
  }
}

void Session::collect_load() {
  auto latency = driver_report_ && driver_report_->latency.count() > 0
                     ? std::optional(summarize_latency(driver_report_->latency))
                     : std::nullopt;
  if (driver_report_ && driver_report_->latency_summary) latency = driver_report_->latency_summary;
  // A driver that does not count (a load command without a parser): no ops, throughput, latency
  // or CPU per operation, and no run is invalid for having none.
  const bool ops_unknown = !traits_.counts_ops;
  const std::int64_t ops = driver_report_ ? driver_report_->ops : 0;
  const std::int64_t errors = driver_report_ ? driver_report_->errors : 0;
  run_.metrics =
      compute_run_metrics(run_.samples, run_.phases, run_.metrics.peak_bytes.value_or(0),
                          ops_unknown ? std::nullopt : std::optional(ops), errors, latency);
  const PhaseSpan* load = find_phase(run_.phases, "load");
  if (driver_report_ && driver_report_->ops_done_at && load) {
    // load_ops: the throughput is over the time the operations took, not the whole load phase
    // (from the warm-up on when the figures cover it too).
    const double done_ms = ms_at(*driver_report_->ops_done_at);
    const double from_ms =
        driver_report_->ops_started_at ? ms_at(*driver_report_->ops_started_at) : load->start_ms;
    if (done_ms > from_ms) {
      run_.metrics.throughput_per_s = static_cast<double>(ops) / ((done_ms - from_ms) / 1000);
    }
  }
  if (probe_) run_.metrics.backlog_jobs = backlog_summary(probe_->queue_lengths(), run_.phases);
  for (const PhaseCpu& c : run_.cpu) {
    if (c.phase != "load") continue;
    if (ops > 0) run_.metrics.cpu_us_per_op = c.sut_ms * 1000 / static_cast<double>(ops);
    run_.metrics.contention_pct = c.others_pct + c.steal_pct;
  }
  if (!driver_report_) return;
  run_.driver = driver_report_->details;
  if (load && load->end_ms > load->start_ms) {
    const double load_s = (load->end_ms - load->start_ms) / 1000;
    for (const auto& [name, count] : driver_report_->load_rates) {
      run_.driver[name] = std::round(count / load_s * 1000) / 1000;
    }
  }
  for (const auto& problem : driver_report_->problems) {
    if (!abort_ || problem != *abort_) run_.invalidate(problem);
  }
  if (!driver_report_->problems.empty() && !load_processes_.empty() && !abort_) blame_ = "load";
  if (!abort_ && !ops_unknown) {
    LoadFigures figures{ops,
                        errors,
                        base_.max_errors,
                        driver_report_->target_rate_per_s,
                        run_.metrics.throughput_per_s,
                        traits_.op_unit,
                        std::nullopt,
                        driver_report_->first_failure};
    if (run_.metrics.backlog_jobs) figures.backlog_jobs = run_.metrics.backlog_jobs->final;
    for (auto& problem : validity_problems(figures)) run_.invalidate(std::move(problem));
  }
}

void Session::collect() {
  if (!watched_.roles.empty()) {
    const RoleWatch& sut = watched_.front();
    run_.samples = sut.samples;
    run_.peak = {sut.max_sample_bytes, sut.hwm_peak_bytes, sut.exit_peak_bytes,
                 sut_->cgroup_peak_bytes(), sut.hwm_complete};
    run_.max_processes = sut.max_processes;
    run_.metrics.peak_bytes = sut.peak_bytes;
    run_.late_ticks = watched_.late_ticks;
    run_.processes = watched_.processes;
    // Rows have a plateau where trees have one (a command's only after a warm-up).
    if (traits_.has_operations || one_shot_has_plateau(run_.phases)) {
      set_process_plateaus(run_.processes, watched_.process_samples, run_.phases);
    }
    watched_.process_samples.clear();  // a series per process: not kept past this point
    if (sut.lost_at_ms && *sut.lost_at_ms < teardown_ms_ && traits_.has_operations && !sut_died_) {
      run_.invalidate(
          fmt::format("the watcher lost the SUT's process tree at {:.0f} ms", *sut.lost_at_ms));
    }
    bool hwm_complete = sut.hwm_complete;
    const auto memory_of = [this](const RoleWatch& w) {
      RoleMemory memory;
      memory.role = w.role;
      memory.samples = w.samples;
      memory.peak = {w.max_sample_bytes, w.hwm_peak_bytes, w.exit_peak_bytes, std::nullopt,
                     w.hwm_complete};
      memory.metrics =
          compute_run_metrics(w.samples, run_.phases, w.peak_bytes, std::nullopt, 0, std::nullopt);
      if (w.max_process_peak_bytes > 0) {
        memory.metrics.max_process_peak_bytes = w.max_process_peak_bytes;
      }
      if (memory.metrics.plateau_bytes) {
        memory.metrics.max_process_plateau_bytes =
            max_process_plateau_bytes(run_.processes, w.role);
      }
      memory.max_processes = w.max_processes;
      return memory;
    };
    for (std::size_t i = 0; i < services_.size(); ++i) {
      const RoleWatch& w = watched_.roles[i + 1];
      RoleMemory memory = memory_of(w);
      memory.gated = scenario_.services[i].gate;
      if (services_died_[i]) memory.exit = services_died_[i]->describe();
      memory.peak.cgroup_peak_bytes = services_[i]->cgroup_peak_bytes();
      hwm_complete = hwm_complete && w.hwm_complete;
      run_.services.push_back(std::move(memory));
    }
    // The load command's memory: reported, never gated, and in no figure of the SUT's.
    if (const RoleWatch* load = watched_.role("load")) run_.load = memory_of(*load);
    if (!hwm_complete) run_.warnings.push_back(kHwmIncompleteWarning);
    const bool several = std::any_of(watched_.roles.begin(), watched_.roles.end(),
                                     [](const RoleWatch& w) { return w.max_processes > 1; });
    if (!watched_.exit_records_problem.empty() && several) {
      run_.warnings.push_back(fmt::format(
          "without the kernel's exit records ({}), a process that reaped children shows their "
          "peak as its own and processes shorter than a sample may be missed: run memgate as "
          "root for exact per-process peaks",
          watched_.exit_records_problem));
    }
    if (watched_.late_ticks > 0) {
      run_.warnings.push_back(
          fmt::format("{} sampling ticks were late and skipped (the machine "
                      "is overloaded or the interval too short)",
                      watched_.late_ticks));
    }
  }
  if (sut_died_) {
    run_.sut_exit = sut_died_->describe();
    // Whatever the phases saw, a SUT that was gone before memgate stopped it is a failed run.
    if (!abort_) {
      abort_ = fmt::format("the SUT {} before memgate stopped it", sut_died_->describe());
    }
  } else if (!traits_.has_operations && sut_ && sut_->exit_info()) {
    run_.sut_exit = sut_->exit_info()->describe();
  }
  if (abort_) run_.invalidate(*abort_);
  if (traits_.has_operations) {
    collect_load();
  } else {
    run_.metrics =
        compute_one_shot_metrics(run_.samples, run_.phases, run_.metrics.peak_bytes.value_or(0));
  }
  if (!watched_.roles.empty() && watched_.front().max_process_peak_bytes > 0) {
    run_.metrics.max_process_peak_bytes = watched_.front().max_process_peak_bytes;
  }
  // A plateau of one process where the tree has one (a command's only after a warm-up).
  if (!watched_.roles.empty() && run_.metrics.plateau_bytes) {
    run_.metrics.max_process_plateau_bytes =
        max_process_plateau_bytes(run_.processes, watched_.front().role);
  }
  if (!traits_.has_operations) {
    if (!run_.cpu.empty()) {
      run_.metrics.contention_pct = run_.cpu.back().others_pct + run_.cpu.back().steal_pct;
    }
    if (command_outlived_ > 0) {
      run_.warnings.push_back(
          fmt::format("{} process(es) of the tree outlived the command; memgate stopped them",
                      command_outlived_));
    }
    if (run_.samples.size() < kFewSamples) {
      run_.warnings.push_back(
          fmt::format("only {} samples: use a shorter interval for a short "
                      "command",
                      run_.samples.size()));
    }
  }
  if (probe_) {
    nlohmann::json figures = probe_->figures(run_.phases);
    if (probe_->role() == "sut") {
      run_.sut_figures[probe_->figures_key()] = std::move(figures);
    } else {
      for (auto& memory : run_.services) {
        if (memory.role == probe_->role()) memory.figures[probe_->figures_key()] = figures;
      }
    }
  }
  if ((!run_.valid || !traits_.has_operations) && run_.log_tail.empty()) {
    for (std::size_t i = 0; i < services_.size(); ++i) {
      if (scenario_.services[i].name == blame_) run_.log_tail = services_[i]->log_tail();
    }
    if (blame_ == "sut" && sut_) run_.log_tail = sut_->log_tail();
    if (blame_ == "load" && !load_processes_.empty()) {
      run_.log_tail = load_processes_.back().second->log_tail();
    }
  }
  run_.log_tail_role = blame_;
}

RunRecord Session::run() {
  run_.index = settings_.index;
  run_.interval_ms = base_.watch.interval_ms;
  run_.memory_kind = base_.watch.memory == MemoryKind::pss ? "pss" : "rss";
  run_.exact_peak = base_.watch.exact_peak;
  try {
    scenario_ =
        instantiate(base_, {backend_.pick_ports(scenario_port_names(base_)), settings_.run_dir});
    traits_ = driver_traits(scenario_.driver);
    if (!settings_.run_dir.empty()) backend_.prepare_run_dir(scenario_, settings_.run_dir);
    // Before any process: a driver that cannot be set up costs no run.
    if (traits_.has_operations) driver_ = backend_.make_driver(scenario_);
    start_processes();
    if (traits_.has_operations) {
      run_load_phases();
    } else {
      run_command_phases();
    }
  } catch (const RunError& e) {
    abort_ = with_hint(e);
    if (!e.log_tail().empty()) run_.log_tail = e.log_tail();
  } catch (const std::exception& e) {
    // Anything else (a scenario that does not instantiate, no thread to be had): the run could
    // not be carried out, and every process started is stopped all the same.
    abort_ = fmt::format("the run could not be carried out: {}", e.what());
  }
  teardown();
  collect();
  ProgressEvent end;
  end.kind = ProgressEvent::Kind::run_end;
  end.note = run_.valid ? "valid" : run_.problems.front();
  emit(end);
  return run_;
}

}  // namespace

RunRecord run_session(const Scenario& scenario, RunBackend& backend,
                      const SessionSettings& settings) {
  return Session(scenario, backend, settings).run();
}

}  // namespace memgate
