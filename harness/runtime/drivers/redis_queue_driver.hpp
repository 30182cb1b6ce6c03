#pragma once

// The redis-queue driver: `producers` connections LPUSH and `consumers` connections BRPOP (or
// RPOP) on `queues` lists, each with `pipeline` commands in flight, through hiredis.
// Connections are driven by a few event-loop threads (poll(2) over hiredis's buffered reader),
// not a thread each: on a small machine the SUT needs the cores more than the load generator
// needs context switches. Producers send pre-formatted command bytes, one write per batch.
// Closed model (rate 0): a batch goes out as soon as the previous one is answered. Open model:
// each connection keeps its share of the rate on a fixed schedule, and latency is measured from
// the intended send time (no coordinated omission).
// An operation is one completed LPUSH; with load_ops N the load phase sends exactly N and ends
// once the consumers (if any) have drained the queues; the throughput counts up to the last
// LPUSH answered (DriverReport::ops_done_at), not the drain.
// Consumers with pop "brpop" send one BRPOP (waiting up to 10 ms on empty queues) then RPOPs in
// each batch, so that a batch never blocks longer than that.

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/redis_connection.hpp"

namespace memgate {

class RedisQueueDriver : public Driver {
 public:
  // Reads the password from the variable named by password_env; throws RunError when it is
  // not set. worker_threads 0: one less than the machine's cores (at least 1), at most one per
  // connection.
  explicit RedisQueueDriver(RedisQueueDriverSpec spec, int worker_threads = 0);
  ~RedisQueueDriver() override;

  void connect() override;
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override;
  std::int64_t load_ops() const override { return load_pushed_.load(); }
  std::optional<Clock::time_point> limit_reached_at() const override;
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

  const std::string& password() const { return password_; }
  const std::vector<std::string>& queue_keys() const;

 private:
  struct Tally;
  struct Conn;
  void work(std::vector<Conn*> conns);
  bool send_batch(Conn& c, Clock::time_point now, Clock::time_point& wake);
  bool read_replies(Conn& c, Tally& tally);
  void batch_done(Conn& c, Tally& tally);
  bool keep_going() const;
  bool queues_drained_after_limit() const;
  void set_fatal(const std::string& what);
  void check_limit_reached();
  void add_tally(const Tally& tally);

  RedisQueueDriverSpec spec_;
  int worker_threads_;
  int workers_used_ = 0;
  std::string password_;
  std::vector<std::string> batches_;  // per queue: `pipeline` pre-formatted LPUSH commands
  std::vector<std::string> singles_;  // per queue: one pre-formatted LPUSH command
  std::vector<std::unique_ptr<RedisConnection>> connections_;  // producers, then consumers
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::thread> threads_;
  Clock::time_point start_time_, deadline_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> in_load_{false};
  std::optional<std::int64_t> limit_;  // set before in_load_ turns true
  std::atomic<std::int64_t> load_claimed_{0};   // LPUSHes handed out in the load phase
  std::atomic<std::int64_t> load_pushed_{0};    // LPUSHes completed in the load phase
  std::atomic<std::int64_t> pushed_total_{0};   // successful LPUSHes, all phases
  std::atomic<std::int64_t> popped_total_{0};   // successful pops, all phases
  std::atomic<std::int64_t> limit_reached_ns_{0};  // Clock ticks; 0: not reached
  std::atomic<std::int64_t> pushes_done_ns_{0};    // the op_limit-th LPUSH answered
  mutable std::mutex mutex_;
  std::optional<std::string> fatal_;
  std::unique_ptr<Tally> total_;
};

}  // namespace memgate
