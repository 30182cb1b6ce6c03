#pragma once

// The redis-queue driver's producer-only mode: the SUT is a worker that consumes the queue, and
// memgate learns that a job is done from the worker (docs/scenarios.md, "The redis-queue
// driver"):
// - `producers` connections LPUSH jobs rendered from the job template (each with a unique
//   {job_id}), `pipeline` per batch, round-robin over the queues;
// - completion "ack_queue": one more connection pops the ack queue (a BRPOP waiting at most
//   10 ms, then RPOPs) and matches each ack to its job by id: latency is enqueue -> ack;
// - completion "drain": that connection asks LLEN every millisecond; a job is done when it has
//   left the queue (completed = jobs pushed before the LLEN - their lengths). No latency.
// Closed model (rate 0): at most producers x pipeline jobs are pushed and not yet done (a new job
// goes out when one completes). Open model: the producers keep the target rate whatever the
// worker does (a batch takes the jobs due within the next millisecond: it leaves at most that
// early); a worker that falls behind makes the run invalid (see validity.hpp).
// An operation is one completed job. With load_ops N the load phase pushes exactly N jobs and
// ends when all N are done; with load_s it counts the completions seen during the load phase.
// One event-loop thread drives every connection (ppoll), so per-job state needs no lock.

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/drivers/redis_jobs.hpp"
#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/redis_connection.hpp"
#include "runtime/drivers/reply_loop.hpp"
#include "runtime/drivers/text_corpus.hpp"

namespace memgate {

class RedisProducerDriver : public Driver {
 public:
  // Reads the password from password_env (RunError when it is not set) and the job texts.
  explicit RedisProducerDriver(RedisQueueDriverSpec spec);
  ~RedisProducerDriver() override;

  void connect() override;
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override;
  std::int64_t load_ops() const override { return load_done_.load(); }
  std::optional<Clock::time_point> limit_reached_at() const override;
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

 private:
  struct Producer;
  struct Loop;
  // The event loop's thread (ReplyLoop) and its steps; they alone touch *loop_.
  void run();
  bool fill(ReplyLoop::Round& round);
  bool send(Producer& p, Clock::time_point now, Clock::time_point& wake);
  void ask_completion(Clock::time_point now, Clock::time_point& wake);
  bool read_producer(Producer& p);
  bool read_completion(Clock::time_point now);
  bool read_acks(const redisReply& reply, Clock::time_point now);
  void complete(std::int64_t id, Clock::time_point now);
  void update_load_done();
  bool flush(RedisConnection& c);
  void lost(RedisConnection& c);
  bool acks() const;  // completion by an ack queue (else: by draining)
  void set_fatal(const std::string& what);

  RedisQueueDriverSpec spec_;
  std::string password_;
  JobTemplate job_;
  std::unique_ptr<TextCorpus> texts_;
  std::vector<std::string> lpush_prefixes_;  // per queue: LPUSH and its key, in RESP
  std::vector<std::unique_ptr<RedisConnection>> producers_;
  std::unique_ptr<RedisConnection> completion_;  // pops acks, or asks LLEN
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  Clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> in_load_{false};
  std::atomic<bool> failed_{false};  // fatal_ is set (read without the lock by the loop)
  std::optional<std::int64_t> limit_;          // set before in_load_ turns true
  std::atomic<std::int64_t> load_done_{0};     // completed (or failed) jobs that count for load
  std::atomic<std::int64_t> limit_reached_ns_{0};
  mutable std::mutex mutex_;
  std::optional<std::string> fatal_;
};

}  // namespace memgate
