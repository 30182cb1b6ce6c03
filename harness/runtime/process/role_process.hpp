#pragma once

// A process tree memgate starts for a run (the SUT, a service, a load command), as the run
// session and the drivers see it; RealBackend's is a SutProcess, the session's tests use fakes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/process/reaper.hpp"

namespace memgate {

struct RoleSpec;

// The SUT's standard streams, when they are the driver's channel (DriverTraits::stdin_channel).
struct SutChannel {
  int stdin_fd = -1;   // memgate writes the SUT's stdin here
  int stdout_fd = -1;  // and reads its stdout here
};

// A process the run started (the SUT, a service, a load command), with its whole tree.
class RoleProcess {
 public:
  virtual ~RoleProcess() = default;
  virtual int pid() const = 0;
  // How its root process ended, once it has (without waiting).
  virtual std::optional<ExitInfo> exit_info() const = 0;
  virtual std::vector<std::string> log_tail() const = 0;
  // Launched with stdout_lines: the last lines of its stdout.
  virtual std::vector<std::string> stdout_tail() const { return {}; }
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
  // > 0: stdout is read apart (into stdout_log_path; stderr -> log_path) and its last lines kept.
  std::size_t stdout_lines = 0;
  std::string stdout_log_path;
};

// Starts the processes a driver runs itself (a load command): each is watched under its role,
// counted apart in the CPU shares, and owned by the run, which stops it at the latest when the
// run ends, whatever happened.
class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Starts role's command with its stderr in the run folder's NAME.log and its stdout apart in
  // NAME.out, the last stdout_lines lines of it kept. Throws RunError when it cannot be
  // started. The reference lives as long as the run.
  virtual RoleProcess& launch(const RoleSpec& role, const std::string& log_name,
                              std::size_t stdout_lines) = 0;
  // The run's clock (a seam: the session's tests script it).
  virtual std::chrono::steady_clock::time_point now() = 0;
};

}  // namespace memgate
