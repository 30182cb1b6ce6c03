#pragma once

// A scripted RunBackend for the run session's tests (hyperfine's MockExecutor, for memgate): a
// clock that moves only when the session sleeps, processes that exit when the script says, a
// driver whose operations complete at a fixed rate, a watcher that reports constant memory per
// role, and a log of what the session did, in order.

#include <sys/wait.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/errors.hpp"
#include "runtime/drivers/load_command_driver.hpp"
#include "runtime/run/run_backend.hpp"

namespace memgate::test {

using Clock = std::chrono::steady_clock;

inline Clock::duration ms(double v) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(v));
}

// What happens to one role's process.
struct ProcessScript {
  std::optional<double> exit_at_ms;  // since the run began; the root exits then
  std::optional<double> exit_after_ms;  // or this long after it started (a load command's)
  int wait_status = 0;               // as wait4 reports it (exit code N: N << 8; signal: sig)
  bool fails_to_start = false;
  bool never_ready = false;
  double ready_after_ms = 100;
  int killed_at_stop = 0;  // processes the stop had to SIGKILL
  double cpu_per_s = 0.5;  // CPU seconds its tree uses per second of its life
};

struct DriverScript {
  double ops_per_s = 1000;
  std::optional<double> fatal_at_ms;
  std::optional<double> target_rate_per_s;  // an open model's target
};

struct Script {
  std::map<std::string, ProcessScript> processes;  // by role; absent: runs until stopped
  DriverScript driver;
  std::optional<double> interrupt_at_ms;
  int interrupts = 1;
  std::optional<double> probe_problem_at_ms;
  std::int64_t probe_backlog = 0;  // jobs waiting, every probe sample
  double others_cpus = 0;          // CPUs a neighbour keeps busy (of the machine's 2)
  double steal_cpus = 0;           // CPUs the hypervisor gives other guests
};

class FakeBackend;

class FakeProcess : public RoleProcess {
 public:
  FakeProcess(FakeBackend& backend, std::string role, ProcessScript script, int pid)
      : backend_(backend), role_(std::move(role)), script_(script), pid_(pid) {}
  int pid() const override { return pid_; }
  std::optional<ExitInfo> exit_info() const override;
  std::vector<std::string> log_tail() const override { return {role_ + ": last words"}; }
  std::vector<int> tree_pids() override { return {}; }
  std::int64_t cpu_us() override;
  Stopped stop(double grace_s) override;
  const std::string& role() const { return role_; }

 private:
  FakeBackend& backend_;
  std::string role_;
  ProcessScript script_;
  int pid_;
  bool stopped_ = false;
  std::optional<double> stopped_at_ms_;
  double started_at_ms_ = 0;

  friend class FakeBackend;
};

class FakeDriver : public Driver {
 public:
  FakeDriver(FakeBackend& backend, DriverScript script) : backend_(backend), script_(script) {}
  void attach(const SutChannel&) override;
  void connect() override;
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override;
  std::int64_t load_ops() const override;
  std::optional<Clock::time_point> limit_reached_at() const override;
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

 private:
  FakeBackend& backend_;
  DriverScript script_;
  std::optional<Clock::time_point> load_start_;
  std::optional<Clock::time_point> stopped_at_;
  std::optional<std::int64_t> limit_;
};

class FakeWatch : public MemoryWatch {
 public:
  FakeWatch(FakeBackend& backend, std::vector<std::string> roles, Clock::time_point t0)
      : backend_(backend), roles_(std::move(roles)), t0_(t0) {}
  void start() override;
  WatchResult stop() override;
  std::int64_t last_bytes() const override { return 10 << 20; }

 private:
  FakeBackend& backend_;
  std::vector<std::string> roles_;
  Clock::time_point t0_;
};

class FakeProbe : public SideProbe {
 public:
  FakeProbe(FakeBackend& backend, std::string role) : backend_(backend), role_(std::move(role)) {}
  std::string role() const override { return role_; }
  std::string figures_key() const override { return "redis"; }
  void start() override {}
  void final_snapshot() override {}
  void stop() override {}
  std::optional<std::string> problem() const override;
  nlohmann::json figures(const std::vector<PhaseSpan>&) const override {
    return {{"label", "fake"}};
  }
  Series queue_lengths() const override;

 private:
  FakeBackend& backend_;
  std::string role_;
};

class FakeBackend : public RunBackend {
 public:
  explicit FakeBackend(Script script) : script_(std::move(script)) {}

  static constexpr int kCpus = 2;
  static constexpr double kSelfCpuPerS = 0.1;  // memgate's own threads
  MachineCpuTime machine_cpu() override {
    double busy_us = static_cast<double>(self_cpu_us()) + script_.others_cpus * elapsed_ms() * 1000;
    for (FakeProcess* p : processes_) busy_us += static_cast<double>(p->cpu_us());
    const double steal_us = script_.steal_cpus * elapsed_ms() * 1000;
    const double capacity_us = (elapsed_ms() + 3'600'000) * 1000 * kCpus;  // an hour of uptime
    return {static_cast<std::int64_t>(capacity_us - busy_us - steal_us),
            static_cast<std::int64_t>(steal_us), 0, kCpus};
  }
  std::int64_t self_cpu_us() override {
    return static_cast<std::int64_t>(kSelfCpuPerS * elapsed_ms() * 1000);
  }

  Clock::time_point now() override { return now_; }
  void sleep_ms(double v) override { now_ += ms(std::max(v, 0.001)); }
  std::optional<std::string> interruption() override {
    if (script_.interrupt_at_ms && elapsed_ms() >= *script_.interrupt_at_ms) {
      return "interrupted by SIGINT";
    }
    return std::nullopt;
  }
  bool hurry() override { return interruption() && script_.interrupts >= 2; }
  std::map<std::string, int> pick_ports(const std::set<std::string>& names) override {
    std::map<std::string, int> ports;
    int port = 20000;
    for (const auto& name : names) ports[name] = port++;
    return ports;
  }
  void prepare_run_dir(const Scenario&, const std::string& run_dir) override {
    log("prepare " + run_dir);
  }
  std::unique_ptr<RoleProcess> launch(const RoleLaunch& launch) override {
    const std::string role = launch.role->name;
    const ProcessScript s =
        script_.processes.count(role) ? script_.processes[role] : ProcessScript{};
    log("launch " + role);
    if (s.fails_to_start) throw RunError("cannot start '" + role + "': No such file");
    auto process = std::make_unique<FakeProcess>(*this, role, s, next_pid_++);
    process->started_at_ms_ = elapsed_ms();
    if (s.exit_after_ms) process->script_.exit_at_ms = elapsed_ms() + *s.exit_after_ms;
    processes_.push_back(process.get());
    return process;
  }
  std::vector<std::string> wait_ready(RoleProcess& process, const RoleSpec& role) override {
    const ProcessScript s =
        script_.processes.count(role.name) ? script_.processes[role.name] : ProcessScript{};
    if (s.never_ready) {
      now_ += ms(role.ready.empty() ? 0 : role.ready[0].timeout_s * 1000);
      throw RunError(role.name + " was not ready", "", process.log_tail());
    }
    now_ += ms(s.ready_after_ms);
    log("ready " + role.name);
    return {};
  }
  std::unique_ptr<MemoryWatch> watch(const std::vector<std::pair<std::string, RoleProcess*>>& trees,
                                     const WatchSpec&, Clock::time_point t0) override {
    std::vector<std::string> roles;
    for (const auto& [role, process] : trees) roles.push_back(role);
    t0_ = t0;
    return std::make_unique<FakeWatch>(*this, roles, t0);
  }
  void watch_more(MemoryWatch&, const std::string& role, RoleProcess&, const WatchSpec&) override {
    log("watch " + role);
  }
  std::unique_ptr<Driver> make_driver(const Scenario& scenario) override {
    log("make driver");
    if (const auto* load = std::get_if<LoadCommandDriverSpec>(&scenario.driver)) {
      return std::make_unique<LoadCommandDriver>(*load, scenario.phases);  // the real one
    }
    return std::make_unique<FakeDriver>(*this, script_.driver);
  }
  std::unique_ptr<SideProbe> make_probe(const DriverTraits& traits, int,
                                        Clock::time_point) override {
    if (!traits.redis) return nullptr;
    log("probe " + traits.redis->role);
    return std::make_unique<FakeProbe>(*this, traits.redis->role);
  }

  void log(const std::string& event) { events.push_back(event); }
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(now_ - t0_).count();
  }
  double ms_at(Clock::time_point t) const {
    return std::chrono::duration<double, std::milli>(t - t0_).count();
  }
  const Script& script() const { return script_; }
  Clock::time_point at_ms(double v) const { return t0_ + ms(v); }

  std::vector<std::string> events;

 private:
  Script script_;
  Clock::time_point now_ = Clock::time_point(std::chrono::hours(1));
  Clock::time_point t0_ = now_;  // the session's t0 is its first now(): the same value
  int next_pid_ = 100;
  std::vector<FakeProcess*> processes_;  // owned by the session, alive while it runs
};

inline std::int64_t FakeProcess::cpu_us() {
  double until = backend_.elapsed_ms();
  if (stopped_at_ms_) until = std::min(until, *stopped_at_ms_);
  if (script_.exit_at_ms) until = std::min(until, *script_.exit_at_ms);
  return static_cast<std::int64_t>(std::max(0.0, until - started_at_ms_) * script_.cpu_per_s *
                                   1000);
}

inline std::optional<ExitInfo> FakeProcess::exit_info() const {
  const double now = backend_.elapsed_ms();
  ExitInfo e;
  e.pid = pid_;
  if (script_.exit_at_ms && now >= *script_.exit_at_ms &&
      (!stopped_at_ms_ || *stopped_at_ms_ >= *script_.exit_at_ms)) {
    e.wait_status = script_.wait_status;
    return e;
  }
  if (stopped_) {
    e.wait_status = SIGTERM;
    return e;
  }
  return std::nullopt;
}

inline RoleProcess::Stopped FakeProcess::stop(double grace_s) {
  if (!stopped_) {
    backend_.log("stop " + role_ + " grace " + std::to_string(static_cast<int>(grace_s * 1000)) +
                 " ms");
    stopped_ = true;
    stopped_at_ms_ = backend_.elapsed_ms();
  }
  return {script_.killed_at_stop, {}};
}

inline void FakeDriver::attach(const SutChannel&) {
  backend_.log("driver attach");
}
inline void FakeDriver::connect() {
  backend_.log("driver connect");
}
inline void FakeDriver::start(Clock::time_point) {
  backend_.log("driver start");
}
inline void FakeDriver::begin_load(std::optional<std::int64_t> op_limit) {
  backend_.log("driver begin_load");
  load_start_ = backend_.now();
  limit_ = op_limit;
}
inline std::int64_t FakeDriver::load_ops() const {
  if (!load_start_) return 0;
  const auto until = stopped_at_.value_or(backend_.now());
  const double s = std::chrono::duration<double>(until - *load_start_).count();
  const auto ops = static_cast<std::int64_t>(s * script_.ops_per_s);
  return limit_ ? std::min(ops, *limit_) : ops;
}
inline std::optional<Clock::time_point> FakeDriver::limit_reached_at() const {
  if (!limit_ || !load_start_ || load_ops() < *limit_) return std::nullopt;
  return *load_start_ + ms(static_cast<double>(*limit_) / script_.ops_per_s * 1000);
}
inline std::optional<std::string> FakeDriver::fatal() const {
  if (script_.fatal_at_ms && backend_.elapsed_ms() >= *script_.fatal_at_ms) {
    return "lost the connection to the SUT";
  }
  return std::nullopt;
}
inline DriverReport FakeDriver::stop() {
  backend_.log("driver stop");
  DriverReport r;
  r.ops = load_ops();
  stopped_at_ = backend_.now();
  r.ops_done_at = limit_reached_at();
  r.target_rate_per_s = script_.target_rate_per_s;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(r.ops, 1000); ++i) {
    r.latency.record(1'000'000);
  }
  return r;
}

inline void FakeWatch::start() {
  backend_.log("watch start");
}

// Constant memory per role (10 MiB for the SUT, 20 MiB, 30 MiB, ... for the services), a sample
// every 100 ms from the run's start to now.
inline WatchResult FakeWatch::stop() {
  backend_.log("watch stop");
  WatchResult r;
  for (std::size_t i = 0; i < roles_.size(); ++i) {
    RoleWatch w;
    w.role = roles_[i];
    const std::int64_t bytes = static_cast<std::int64_t>(10 * (i + 1)) << 20;
    for (double t = 0; t <= backend_.elapsed_ms(); t += 100) w.samples.push_back({t, bytes});
    w.max_sample_bytes = w.peak_bytes = bytes;
    w.max_processes = 1;
    r.roles.push_back(w);
  }
  return r;
}

inline std::optional<std::string> FakeProbe::problem() const {
  if (backend_.script().probe_problem_at_ms &&
      backend_.elapsed_ms() >= *backend_.script().probe_problem_at_ms) {
    return "Redis restarted during the run (its run_id changed)";
  }
  return std::nullopt;
}

inline Series FakeProbe::queue_lengths() const {
  Series s;
  for (double t = 0; t <= backend_.elapsed_ms(); t += 100) {
    s.push_back({t, backend_.script().probe_backlog});
  }
  return s;
}

}  // namespace memgate::test
