#pragma once

// The seam between a run's logic (RunSession: phases, why a run stopped, what it measured) and the
// operating system: time, processes, the watcher, the driver, the Redis probe. RealBackend
// (real_backend.hpp) uses real clocks and processes; the session's tests pass a fake one with a
// scripted clock, processes and driver (as hyperfine's Executor and MockExecutor).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/drivers/driver_kind.hpp"
#include "core/model/series.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/side_probe.hpp"
#include "runtime/process/reaper.hpp"
#include "runtime/watch/watcher.hpp"

namespace memgate {

// A process the run started: the SUT or a service, with its whole tree.
class RoleProcess {
 public:
  virtual ~RoleProcess() = default;
  virtual int pid() const = 0;
  // How its root process ended, once it has (without waiting).
  virtual std::optional<ExitInfo> exit_info() const = 0;
  virtual std::vector<std::string> log_tail() const = 0;
  virtual SutChannel channel() const { return {}; }
  // The kernel's peak charge of its memory cgroup, where it runs in one.
  virtual std::optional<std::int64_t> cgroup_peak_bytes() const { return std::nullopt; }
  // What makes its figures doubtful (it could not join its memory cgroup, ...).
  virtual std::vector<std::string> launch_warnings() const { return {}; }
  // Pids of its tree now.
  virtual std::vector<int> tree_pids() = 0;
  // CPU time (user + system) its tree used since it started, in µs, members that exited
  // included (see SutProcess::cpu_us).
  virtual std::int64_t cpu_us() = 0;
  struct Stopped {
    int killed = 0;              // processes that outlasted the grace and got SIGKILL
    std::vector<int> survivors;  // processes that could not be stopped at all
  };
  // Stops the whole tree (see stop_process_tree). Idempotent: a second call returns the first's.
  virtual Stopped stop(double grace_s) = 0;
};

// How a role's process is started.
struct RoleLaunch {
  const RoleSpec* role = nullptr;
  std::string log_path;         // "" : no log file (the tail is kept)
  bool inherit_output = false;  // writes to memgate's own stdout/stderr (memgate watch)
  bool stdin_channel = false;   // stdin and stdout are the driver's pipes (stderr -> the log)
};

// The machine's CPU time so far, in µs summed over its CPUs (from /proc/stat and the kernel's
// threads): what nobody used (idle), what the hypervisor gave other guests (steal), and what
// served the run's own traffic without being any process's (interrupts and the kernel's own
// threads). The rest of the capacity (elapsed time x CPUs) was the processes'.
struct MachineCpuTime {
  std::int64_t idle_us = 0;
  std::int64_t steal_us = 0;
  std::int64_t kernel_us = 0;  // interrupts and kernel threads
  int cpus = 1;
};

class RunBackend {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~RunBackend() = default;

  // CPU time of the machine, and memgate's own (all its threads).
  virtual MachineCpuTime machine_cpu() = 0;
  virtual std::int64_t self_cpu_us() = 0;

  // Time, and memgate's own interruption (SIGINT, SIGTERM, ...).
  virtual Clock::time_point now() = 0;
  virtual void sleep_ms(double ms) = 0;                   // returns early when interrupted
  virtual std::optional<std::string> interruption() = 0;  // "interrupted by SIGINT", or none
  virtual bool hurry() = 0;                               // interrupted twice: stop without grace

  // A free loopback port for every name.
  virtual std::map<std::string, int> pick_ports(const std::set<std::string>& names) = 0;
  // Creates the run's folder and writes every role's `files` into it.
  virtual void prepare_run_dir(const Scenario& scenario, const std::string& run_dir) = 0;
  // Starts a role's process; throws RunError when it cannot be started.
  virtual std::unique_ptr<RoleProcess> launch(const RoleLaunch& launch) = 0;
  // Waits until every readiness probe of the role holds, in order; throws RunError with the
  // role's log tail when it exits first, is not ready in time, or memgate is interrupted.
  // Returns warnings (a default probe that could not tell, and was passed over).
  virtual std::vector<std::string> wait_ready(RoleProcess& process, const RoleSpec& role) = 0;

  // The watcher of the roles' trees, the SUT's first.
  virtual std::unique_ptr<MemoryWatch> watch(
      const std::vector<std::pair<std::string, RoleProcess*>>& trees, const WatchSpec& spec,
      Clock::time_point t0) = 0;
  // The scenario's driver; throws RunError when it cannot be set up.
  virtual std::unique_ptr<Driver> make_driver(const Scenario& scenario) = 0;
  virtual std::unique_ptr<SideProbe> make_probe(const RedisTarget& target, int interval_ms,
                                                Clock::time_point t0) = 0;
};

}  // namespace memgate
