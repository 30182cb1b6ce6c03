#pragma once

// The system under test as a process: started with Boost.Process from an argv (never a shell),
// in its own process group, killed by the kernel if memgate dies (PR_SET_PDEATHSIG), its
// stdout/stderr kept in a log file, reaped by the Reaper, and stopped as a whole tree.

#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/process/output_pump.hpp"
#include "runtime/process/reaper.hpp"
#include "runtime/watch/role_registry.hpp"

namespace memgate {

class ProcTreeSource;

struct LaunchSpec {
  std::vector<std::string> argv;           // argv[0] without '/' is looked up on PATH
  std::map<std::string, std::string> env;  // added to memgate's environment
  std::string cwd;                         // "" : memgate's working directory
  bool inherit_output = false;             // true: the SUT writes to memgate's stdout/stderr
  std::string log_path;                    // otherwise: its output goes here ("" : tail only)
  bool pipe_stdin = false;                 // the driver writes the SUT's stdin
  bool pipe_stdout = false;                // the driver reads the SUT's stdout; stderr -> log
  // stdout read apart from stderr (which goes to log_path): into this file, its last
  // stdout_lines kept (a load command's summary). Not with pipe_stdout or inherit_output.
  std::string stdout_log_path;
  std::size_t stdout_lines = 0;
  std::vector<std::string> watched_texts;  // lines containing these are counted (readiness)
  // The log files' secrets: masked, but in the SUT's own log (output_pump.hpp).
  LogMasking log_masking = LogMasking::secrets;
  int cgroup_procs_fd = -1;                // the SUT joins this cgroup before exec
};

class SutProcess {
 public:
  // Starts the process. Throws RunError (exit 3) when the program cannot be found or started,
  // with a hint on how to install it.
  explicit SutProcess(const LaunchSpec& spec);
  ~SutProcess();  // stop(0): no SUT process outlives this object
  SutProcess(const SutProcess&) = delete;
  SutProcess& operator=(const SutProcess&) = delete;

  int pid() const { return pid_; }
  const std::string& program() const { return program_; }
  // The reaper's sequence number from just before the launch: every exit of this SUT's tree
  // comes after it (see ProcTreeSource).
  std::uint64_t launch_sequence() const { return launch_sequence_; }

  // How the SUT's root process ended, once it has.
  std::optional<ExitInfo> exit_info() const { return Reaper::instance().exit_of(pid_); }
  bool running() const { return !exit_info(); }
  std::optional<ExitInfo> wait_exit(double timeout_ms) const {
    return Reaper::instance().wait_exit(pid_, timeout_ms);
  }

  OutputPump* output() { return pump_.get(); }  // null when the output is inherited
  // The last lines of its output (with stdout apart: of stdout, then of stderr).
  std::vector<std::string> log_tail() const;
  // With stdout apart: its last stdout_lines lines of stdout.
  std::vector<std::string> stdout_tail() const;
  int stdin_fd() const { return stdin_fd_; }    // -1 unless pipe_stdin
  int stdout_fd() const { return stdout_fd_; }  // -1 unless pipe_stdout
  void close_stdin();

  // Stops the whole tree (see stop_process_tree). Idempotent. extra_pids adds processes to stop
  // (the SUT's cgroup members). Returns how the root ended.
  std::optional<ExitInfo> stop(double grace_s);
  // The pids of its tree now (with extra_pids).
  std::vector<int> tree_pids();
  // The CPU time (user + system) its tree used since it started, in µs: the live members' own
  // (ns-exact, from their CPU clocks) and their waited children's, plus the members memgate
  // reaped (their rusage). A difference of two readings is the tree's CPU in between, processes
  // that exited meanwhile included.
  std::int64_t cpu_us();
  // Processes of the tree that could not be stopped (after stop()).
  const std::vector<int>& survivors() const { return survivors_; }
  // Processes that did not end within the grace after SIGTERM and were SIGKILLed (after stop()).
  int killed() const { return killed_; }
  void set_extra_pids(std::function<std::vector<int>()> extra) { extra_pids_ = std::move(extra); }
  // With several trees (the SUT and its services), the registry tells which orphans are this
  // process's (see ProcTreeSource); role names this tree there.
  void set_registry(RoleRegistry* registry, std::string role) {
    registry_ = registry;
    role_ = std::move(role);
  }

 private:
  std::vector<int> members(ProcTreeSource& tree) const;

  int pid_ = -1;
  std::uint64_t launch_sequence_ = 0;
  std::string program_;
  std::unique_ptr<OutputPump> pump_;
  std::unique_ptr<OutputPump> stdout_pump_;  // with stdout apart
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool stopped_ = false;
  std::optional<ExitInfo> stop_result_;
  std::vector<int> survivors_;
  int killed_ = 0;
  std::function<std::vector<int>()> extra_pids_;
  RoleRegistry* registry_ = nullptr;
  std::string role_ = "sut";
};

// Where argv0 would be run from (PATH lookup with env's PATH when it sets one, or a path
// relative to cwd). Throws RunError with an install hint when it is not there.
std::string resolve_program(const std::string& argv0, const std::string& cwd,
                            const std::map<std::string, std::string>& env);

}  // namespace memgate
