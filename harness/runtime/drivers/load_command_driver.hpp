#pragma once

// The load-command driver: the team's own load generator as the load (docs/scenarios.md, "The
// load-command driver"). Its command is started through the run's ProcessLauncher (outside the
// SUT's tree, watched as the role `load`) when the warm-up begins and again when the load phase
// begins (or once for both), with {ops} and {load_s} replaced by the phase's figures; the previous
// phase's command is stopped (SIGTERM, stop_grace_s, SIGKILL of its tree) when the next begins.
// - A command that exits 0 has done its work (with `drain`: once the worker has also taken every
//   job it enqueued, i.e. the lists are empty): warmup_done() / limit_reached_at() end the phase.
// - One that exits otherwise is fatal(): the run stops, invalid, with its last lines.
// - What it did is read from the load phase's command's stdout by the parser, once the command
//   exited 0; with a parser it may run overrun_s past the phase's time to finish.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/drivers/load_command_spec.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/redis_connection.hpp"

namespace memgate {

class LoadCommandDriver : public Driver {
 public:
  LoadCommandDriver(const LoadCommandDriverSpec& spec, const PhasesSpec& phases);
  ~LoadCommandDriver() override;

  void attach_launcher(ProcessLauncher& launcher) override { launcher_ = &launcher; }
  void connect() override;  // with drain: to the Redis whose lists it watches
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override;
  std::int64_t load_ops() const override { return 0; }  // known when it ends
  std::optional<Clock::time_point> limit_reached_at() const override;
  bool warmup_done() const override;
  double overrun_s() const override;
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

 private:
  // One start of the command.
  struct Started {
    std::string phase;  // "warmup", "load", or "warmup and load" (once)
    RoleSpec role;      // the command as started ({ops}, {load_s} replaced)
    RoleProcess* process = nullptr;
    Clock::time_point started_at;
    bool stopped = false;  // memgate stopped it (its exit is then no verdict)
    mutable std::optional<Clock::time_point> exited_at;  // first seen exited by itself
    mutable std::optional<Clock::time_point> done_at;    // exited 0 (and drained)
  };
  void launch(const std::string& phase, double phase_s);
  void stop_current();
  // The current command's own exit, once it has (not one memgate caused).
  std::optional<ExitInfo> own_exit() const;
  bool finished() const;  // the current command exited 0 by itself
  // When the current command's work was done: it finished (and, with drain, the lists emptied).
  std::optional<Clock::time_point> work_done_at() const;
  // With drain: the jobs left in the lists now (0 also when they cannot be read: problem_).
  std::int64_t undrained_jobs() const;
  std::string undrained_problem(const Started& load, std::int64_t undrained,
                                std::optional<std::int64_t> enqueued = std::nullopt) const;
  void parse_output(const Started& load, DriverReport& report) const;

  LoadCommandDriverSpec spec_;
  PhasesSpec phases_;
  ProcessLauncher* launcher_ = nullptr;
  std::vector<std::unique_ptr<Started>> started_;  // in order; the last is the current
  bool load_begun_ = false;
  std::optional<std::int64_t> op_limit_;
  // drain: the connection that reads the lists' lengths, at most every kQueueLengthPoll (20 ms).
  mutable std::unique_ptr<RedisConnection> redis_;
  mutable Clock::time_point next_poll_{};
  mutable std::optional<std::string> problem_;  // the connection was lost
};

}  // namespace memgate
