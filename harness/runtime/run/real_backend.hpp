#pragma once

// The RunBackend of real runs: steady_clock and memgate's interrupt handling, processes started
// with Boost.Process (SutProcess) in memory cgroups where the machine allows, the /proc watcher,
// the registered drivers, Redis INFO. One per run: its RoleRegistry places the orphans of that
// run's trees.

#include <map>
#include <memory>

#include "runtime/run/run_backend.hpp"
#include "runtime/watch/role_registry.hpp"

namespace memgate {

class RealProcess;

class RealBackend : public RunBackend {
 public:
  MachineCpuTime machine_cpu() override;
  std::int64_t self_cpu_us() override;
  Clock::time_point now() override;
  void sleep_ms(double ms) override;
  std::optional<std::string> interruption() override;
  bool hurry() override;
  std::map<std::string, int> pick_ports(const std::set<std::string>& names) override;
  void prepare_run_dir(const Scenario& scenario, const std::string& run_dir) override;
  std::unique_ptr<RoleProcess> launch(const RoleLaunch& launch) override;
  std::vector<std::string> wait_ready(RoleProcess& process, const RoleSpec& role) override;
  std::unique_ptr<MemoryWatch> watch(const std::vector<std::pair<std::string, RoleProcess*>>& trees,
                                     const WatchSpec& spec, Clock::time_point t0) override;
  void watch_more(MemoryWatch& watch, const std::string& role, RoleProcess& process,
                  const WatchSpec& spec) override;
  std::unique_ptr<Driver> make_driver(const Scenario& scenario) override;
  std::unique_ptr<SideProbe> make_probe(const DriverTraits& traits, int interval_ms,
                                        Clock::time_point t0) override;

 private:
  std::int64_t kernel_threads_ticks();
  std::unique_ptr<TreeSource> tree_source(RoleProcess& process, const std::string& role,
                                          const WatchSpec& spec);

  // The concrete process behind one launch() returned (its pid, its launch sequence).
  RealProcess& launched(const RoleProcess& process) const;

  RoleRegistry registry_;
  // What launch() and watch() handed out, as their concrete types: keyed by the interface's
  // address, never dereferenced through it (no downcast). They live as long as the run.
  std::map<const RoleProcess*, RealProcess*> launched_;
  std::map<const MemoryWatch*, Watcher*> watchers_;
  std::map<int, std::int64_t> kernel_threads_;  // pid -> CPU ticks at the last reading
  std::int64_t kernel_ticks_ = 0;               // their CPU since the first reading
  bool read_kernel_threads_ = false;
};

// A fresh RealBackend per run (RunSettings.backend).
std::unique_ptr<RunBackend> real_backend();

}  // namespace memgate
