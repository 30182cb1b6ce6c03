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
#include "runtime/process/role_process.hpp"
#include "runtime/watch/watcher.hpp"

namespace memgate {

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

// Time and memgate's own interruption (SIGINT, SIGTERM, ...), and the CPU time of the machine and
// of memgate itself (all its threads).
class RunClock {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~RunClock() = default;
  virtual MachineCpuTime machine_cpu() = 0;
  virtual std::int64_t self_cpu_us() = 0;
  virtual Clock::time_point now() = 0;
  virtual void sleep_ms(double ms) = 0;                   // returns early when interrupted
  virtual std::optional<std::string> interruption() = 0;  // "interrupted by SIGINT", or none
  virtual bool hurry() = 0;                               // interrupted twice: stop without grace
};

// Where a run's processes come from: their ports, their folder, starting them and waiting
// until they are ready.
class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  // A free loopback port for every name.
  virtual std::map<std::string, int> pick_ports(const std::set<std::string>& names) = 0;
  // Creates the run's folder and writes every role's `files` into it.
  virtual void prepare_run_dir(const Scenario& scenario, const std::string& run_dir) = 0;
  // Starts a role's process; throws RunError when it cannot be started.
  virtual std::unique_ptr<RoleProcess> launch(const RoleLaunch& launch) = 0;
  // Waits until every readiness probe of the role holds, in order; throws RunError with the
  // role's log tail when it exits first, is not ready in time, or memgate is interrupted.
  // Returns warnings (a default probe that could not tell, and was passed over). process is one
  // this launcher started.
  virtual std::vector<std::string> wait_ready(RoleProcess& process, const RoleSpec& role) = 0;
};

// The watcher of a run's process trees.
class WatchFactory {
 public:
  virtual ~WatchFactory() = default;
  // The watcher of the roles' trees, the SUT's first. A role given with a null process (the load
  // command's) has its trees added later by watch_more.
  virtual std::unique_ptr<MemoryWatch> watch(
      const std::vector<std::pair<std::string, RoleProcess*>>& trees, const WatchSpec& spec,
      RunClock::Clock::time_point t0) = 0;
  // Watches process's tree under role (one given to watch()) from now on; watch is one this
  // factory made, process one the same backend launched.
  virtual void watch_more(MemoryWatch& watch, const std::string& role, RoleProcess& process,
                          const WatchSpec& spec) = 0;
};

// What drives the load, and what samples a Redis target's own figures beside it.
class LoadFactory {
 public:
  virtual ~LoadFactory() = default;
  // The scenario's driver; throws RunError when it cannot be set up.
  virtual std::unique_ptr<Driver> make_driver(const Scenario& scenario) = 0;
  // What samples the server the driver loads, when its kind has one (a Redis); null otherwise.
  // Samples at most every interval_ms (the probe may take longer).
  virtual std::unique_ptr<SideProbe> make_probe(const DriverTraits& traits, int interval_ms,
                                                RunClock::Clock::time_point t0) = 0;
};

// All four, for one run (a backend's state, such as the registry of its processes' orphans,
// belongs to that run).
class RunBackend : public RunClock, public RunLauncher, public WatchFactory, public LoadFactory {};

}  // namespace memgate
