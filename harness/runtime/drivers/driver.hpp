#pragma once

// One interface for every load driver (redis-queue, text-batch, load-command): a new driver is
// one new file here, created by driver_factory for its kind (core/drivers/driver_kind.hpp).
// The run session creates the driver before any process starts (so a driver that cannot be set
// up costs no run), then calls attach(), attach_launcher() and connect(), then start() and
// begin_load() (begin_load first when there is no warm-up: the first operation belongs to the
// load), then stop(); it polls load_ops(), warmup_done(), limit_reached_at() and fatal(). Every
// loop a driver runs stops by itself at the deadline given to start(), whatever the runner does;
// the processes a driver starts are the run's, stopped at its end whatever happens.

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model/run_record.hpp"
#include "core/stats/histogram.hpp"
#include "runtime/process/role_process.hpp"

namespace memgate {

// What a driver reports about the load phase (the warm-up is counted apart, in details).
struct DriverReport {
  std::int64_t ops = 0;                      // completed operations (texts for text-batch)
  std::int64_t errors = 0;                   // failed operations
  std::optional<std::string> first_failure;  // what went wrong with the first failed one
  LatencyHistogram latency;  // per operation (per batch for text-batch), from the intended send
  std::optional<double> target_rate_per_s;  // open model: the rate asked for
  // With an op limit, when the last operation completed: the throughput's window ends there,
  // even if the load phase goes on (e.g. consumers draining a queue).
  std::optional<std::chrono::steady_clock::time_point> ops_done_at;
  nlohmann::json details = nlohmann::json::object();  // driver-specific figures
  std::vector<std::string> problems;  // what makes the run invalid (a lost connection, ...)
  // Latency as the load generator summarised it (a load command's parser), instead of `latency`.
  std::optional<LatencySummary> latency_summary;
  // When the figures cover more than the load phase (a load command run once for the warm-up
  // and the load): the throughput's window starts here.
  std::optional<std::chrono::steady_clock::time_point> ops_started_at;
  // Counts of the load phase that details give as a rate over the phase's time, under their name
  // (text batches: "batches_per_s"); the run divides them, since only it knows when the phase
  // ended.
  std::map<std::string, double> load_rates;
};

class Driver {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Driver() = default;

  // The SUT has started: drivers that talk to its stdin/stdout take its pipes here.
  virtual void attach(const SutChannel& /*channel*/) {}
  // Drivers that run processes of their own (a load command) start them through launcher.
  virtual void attach_launcher(ProcessLauncher& /*launcher*/) {}

  // Connects to the target. Throws RunError (exit 3) naming it when it is unreachable or
  // refuses (e.g. AUTH).
  virtual void connect() = 0;

  // Starts the load (the warm-up: not measured). Every loop ends by itself at deadline.
  virtual void start(Clock::time_point deadline) = 0;

  // From now on operations count for the load phase; with op_limit, exactly that many are sent.
  // Called before start() when there is no warm-up.
  virtual void begin_load(std::optional<std::int64_t> op_limit) = 0;

  // Operations of the load phase completed so far.
  virtual std::int64_t load_ops() const = 0;

  // When the op_limit-th operation of the load phase completed (empty before, or without
  // limit); for a load command, when it finished its work (exited 0), limit or not.
  virtual std::optional<Clock::time_point> limit_reached_at() const = 0;

  // The warm-up's work is done before its time is up (a load command that exited 0): the
  // load phase may begin.
  virtual bool warmup_done() const { return false; }

  // How long the load phase may outlast its time for the driver's work to end by itself (a
  // load command that prints its summary when it ends); 0: the phase ends at its time.
  virtual double overrun_s() const { return 0; }

  // A problem that ends the run early (a lost connection), as soon as one happened.
  virtual std::optional<std::string> fatal() const = 0;

  // Stops every loop, waits for them, and returns the load phase's figures.
  virtual DriverReport stop() = 0;
};

}  // namespace memgate
