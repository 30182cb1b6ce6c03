#include "runtime/drivers/redis_queue_driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/model/errors.hpp"
#include "runtime/drivers/pacer.hpp"
#include "runtime/drivers/redis_protocol.hpp"
#include "runtime/drivers/reply_loop.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

constexpr const char* kBlockingPopTimeout = "0.01";  // s: bounds how long stopping can take
constexpr auto kDrainTimeout = std::chrono::seconds(5);  // for replies in flight at stop
constexpr auto kEmptyPopBackoff = std::chrono::milliseconds(1);  // RPOP on empty queues

}  // namespace

// Counts of one thread (then of all), by phase.
struct RedisQueueDriver::Tally {
  std::int64_t pushes_warmup = 0, pushes_load = 0;
  std::int64_t pops_warmup = 0, pops_load = 0;
  std::int64_t push_errors_warmup = 0, push_errors_load = 0;
  std::int64_t pop_errors_warmup = 0, pop_errors_load = 0;
  LatencyHistogram push_latency;  // load phase
};

// One connection's state in its worker's event loop.
struct RedisQueueDriver::Conn {
  RedisConnection* connection = nullptr;
  bool producer = true;
  Pacer pacer{0, Clock::now()};
  std::int64_t next_op = 0;       // index in the connection's schedule
  std::size_t next_queue = 0;     // producers: queue of the next batch
  std::size_t next_command = 0;   // consumers: next of `rpops`
  std::string blocking_pop;       // consumers with pop "brpop": BRPOP over all queues
  std::vector<std::string> rpops;  // consumers: RPOP per queue
  std::string scratch;            // a batch that is not the pre-formatted one
  std::int64_t in_flight = 0;     // replies still expected for the batch sent
  std::int64_t batch_ok = 0, batch_errors = 0;
  bool batch_load = false;        // the batch was sent in the load phase
  Clock::time_point sent;         // when the batch was due (open) or sent (closed)
  Clock::time_point not_before;   // consumers: back-off after an empty RPOP batch
  bool finished = false;
};

RedisQueueDriver::RedisQueueDriver(RedisQueueDriverSpec spec, int worker_threads)
    : spec_(std::move(spec)), worker_threads_(worker_threads), total_(std::make_unique<Tally>()) {
  if (!spec_.password_env.empty()) {
    const char* value = std::getenv(spec_.password_env.c_str());
    if (!value) {
      throw RunError(fmt::format("driver.password_env names ${}, which is not set",
                                 spec_.password_env),
                     fmt::format("export {}=... before running memgate", spec_.password_env));
    }
    password_ = value;
  }
  const std::string payload = make_payload(spec_.payload_bytes);
  for (const auto& key : queue_keys()) {
    singles_.push_back(resp_command({"LPUSH", key, payload}));
    std::string batch;
    batch.reserve(singles_.back().size() * static_cast<std::size_t>(spec_.pipeline));
    for (int i = 0; i < spec_.pipeline; ++i) batch += singles_.back();
    batches_.push_back(std::move(batch));
  }
}

RedisQueueDriver::~RedisQueueDriver() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

const std::vector<std::string>& RedisQueueDriver::queue_keys() const { return spec_.queue_names; }

void RedisQueueDriver::connect() {
  const int total = spec_.producers + spec_.consumers;
  for (int i = 0; i < total; ++i) {
    connections_.push_back(std::make_unique<RedisConnection>(spec_.host, spec_.port, password_));
  }
  std::vector<std::string> del{"DEL"};
  for (const auto& key : queue_keys()) del.push_back(key);
  connections_.front()->command(del);  // start from empty queues
}

void RedisQueueDriver::start(Clock::time_point deadline) {
  start_time_ = Clock::now();
  deadline_ = deadline;
  const auto keys = queue_keys();
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    auto c = std::make_unique<Conn>();
    c->connection = connections_[i].get();
    c->producer = static_cast<int>(i) < spec_.producers;
    const int index = c->producer ? static_cast<int>(i) : static_cast<int>(i) - spec_.producers;
    c->pacer = Pacer(c->producer ? spec_.rate_per_s / spec_.producers
                                 : spec_.consumer_rate_per_s / spec_.consumers,
                     start_time_);
    c->next_queue = static_cast<std::size_t>(index % spec_.queues);
    if (!c->producer) {
      if (spec_.pop == "brpop") {
        std::vector<std::string> argv{"BRPOP"};
        argv.insert(argv.end(), keys.begin(), keys.end());
        argv.push_back(kBlockingPopTimeout);
        c->blocking_pop = resp_command(argv);
      }
      for (const auto& key : keys) c->rpops.push_back(resp_command({"RPOP", key}));
      c->next_command = static_cast<std::size_t>(index) % c->rpops.size();
    }
    conns_.push_back(std::move(c));
  }
  int workers = worker_threads_;
  if (workers <= 0) workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  workers_used_ = std::min(workers, static_cast<int>(conns_.size()));
  std::vector<std::vector<Conn*>> shares(static_cast<std::size_t>(workers_used_));
  for (std::size_t i = 0; i < conns_.size(); ++i) shares[i % shares.size()].push_back(conns_[i].get());
  for (auto& share : shares) threads_.emplace_back([this, share] { work(share); });
}

void RedisQueueDriver::begin_load(std::optional<std::int64_t> op_limit) {
  limit_ = op_limit;
  in_load_.store(true);  // publishes limit_ to the threads
}

bool RedisQueueDriver::keep_going() const {
  return !stop_.load(std::memory_order_relaxed) && Clock::now() < deadline_;
}

// A load_ops run is over for the consumers once all its LPUSHes completed and the queues are
// empty again.
bool RedisQueueDriver::queues_drained_after_limit() const {
  return limit_ && load_pushed_.load() >= *limit_ && popped_total_.load() >= pushed_total_.load();
}

void RedisQueueDriver::set_fatal(const std::string& what) {
  std::lock_guard lock(mutex_);
  if (!fatal_) fatal_ = what;
}

std::optional<std::string> RedisQueueDriver::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

std::optional<Driver::Clock::time_point> RedisQueueDriver::limit_reached_at() const {
  const auto ns = limit_reached_ns_.load();
  if (ns == 0) return std::nullopt;
  return Clock::time_point(Clock::duration(ns));
}

void RedisQueueDriver::check_limit_reached() {
  if (!limit_ || load_pushed_.load() < *limit_) return;
  if (spec_.consumers > 0 && popped_total_.load() < pushed_total_.load()) return;
  std::int64_t none = 0;
  limit_reached_ns_.compare_exchange_strong(none, Clock::now().time_since_epoch().count());
}

void RedisQueueDriver::add_tally(const Tally& t) {
  std::lock_guard lock(mutex_);
  Tally& s = *total_;
  s.pushes_warmup += t.pushes_warmup;
  s.pushes_load += t.pushes_load;
  s.pops_warmup += t.pops_warmup;
  s.pops_load += t.pops_load;
  s.push_errors_warmup += t.push_errors_warmup;
  s.push_errors_load += t.push_errors_load;
  s.pop_errors_warmup += t.pop_errors_warmup;
  s.pop_errors_load += t.pop_errors_load;
  s.push_latency.merge(t.push_latency);
}

// Sends the connection's next batch if it is due; otherwise lowers `wake` to when it will be.
// Returns false when the connection has nothing more to send.
bool RedisQueueDriver::send_batch(Conn& c, Clock::time_point now, Clock::time_point& wake) {
  const bool load = in_load_.load();
  std::int64_t n = spec_.pipeline;
  const std::string* bytes = nullptr;
  if (c.producer) {
    if (load && limit_) {
      if (load_claimed_.load() >= *limit_) return false;
    }
  } else {
    if (load && queues_drained_after_limit()) {
      check_limit_reached();
      return false;
    }
    if (now < c.not_before) {
      wake = std::min(wake, c.not_before);
      return true;
    }
  }
  const auto due = c.pacer.due(c.next_op);
  if (c.pacer.open() && due > now) {
    wake = std::min(wake, due);
    return true;
  }
  if (c.producer) {
    if (load && limit_) {
      const std::int64_t claimed = load_claimed_.fetch_add(n);
      if (claimed >= *limit_) return false;
      n = std::min(n, *limit_ - claimed);
    }
    bytes = &batches_[c.next_queue];
    if (n != spec_.pipeline) {
      c.scratch.clear();
      for (std::int64_t i = 0; i < n; ++i) c.scratch += singles_[c.next_queue];
      bytes = &c.scratch;
    }
    c.next_queue = (c.next_queue + 1) % static_cast<std::size_t>(spec_.queues);
  } else {
    // A BRPOP first (it waits up to 10 ms for an empty queue), then RPOPs, which answer at once:
    // Redis runs a connection's commands in order, so pipelined BRPOPs on empty queues would
    // block one after the other.
    c.scratch = c.blocking_pop;
    for (std::int64_t i = c.blocking_pop.empty() ? 0 : 1; i < n; ++i) {
      c.scratch += c.rpops[c.next_command];
      c.next_command = (c.next_command + 1) % c.rpops.size();
    }
    bytes = &c.scratch;
  }
  c.next_op += n;
  c.in_flight = n;
  c.batch_ok = c.batch_errors = 0;
  c.batch_load = load;
  c.sent = c.pacer.open() ? due : Clock::now();
  redisContext* ctx = c.connection->context();
  redisAppendFormattedCommand(ctx, bytes->data(), bytes->size());
  for (int done = 0; !done;) {
    if (redisBufferWrite(ctx, &done) != REDIS_OK) {
      set_fatal(fmt::format("lost the connection to Redis at {}: {}", c.connection->endpoint(),
                            c.connection->error()));
      c.finished = true;
      return false;
    }
  }
  return true;
}

// Reads what arrived on the connection and takes every complete reply. False when the
// connection was lost.
bool RedisQueueDriver::read_replies(Conn& c, Tally& tally) {
  redisContext* ctx = c.connection->context();
  if (redisBufferRead(ctx) != REDIS_OK) {
    set_fatal(fmt::format("lost the connection to Redis at {}: {}", c.connection->endpoint(),
                          c.connection->error()));
    return false;
  }
  while (c.in_flight > 0) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx, &raw) != REDIS_OK) {
      set_fatal(fmt::format("unreadable reply from Redis at {}: {}", c.connection->endpoint(),
                            c.connection->error()));
      return false;
    }
    if (!raw) break;  // the rest has not arrived yet
    const RedisReply reply(static_cast<redisReply*>(raw));
    --c.in_flight;
    if (reply->type == REDIS_REPLY_ERROR) {
      ++c.batch_errors;
    } else if (c.producer) {
      ++c.batch_ok;  // LPUSH answers the list's new length
    } else if (reply->type != REDIS_REPLY_NIL) {
      ++c.batch_ok;  // BRPOP: [key, value]; RPOP: value
      // Counted at once, not at the end of the batch: a drain is seen when it happens.
      ++popped_total_;
      if (c.batch_load && limit_) check_limit_reached();
    }
    if (c.producer && c.batch_load) tally.push_latency.record((Clock::now() - c.sent).count());
  }
  if (c.in_flight == 0) batch_done(c, tally);
  return true;
}

void RedisQueueDriver::batch_done(Conn& c, Tally& t) {
  const std::int64_t ok = c.batch_ok, errors = c.batch_errors;
  if (c.producer) {
    pushed_total_ += ok;
    (c.batch_load ? t.pushes_load : t.pushes_warmup) += ok;
    (c.batch_load ? t.push_errors_load : t.push_errors_warmup) += errors;
    if (c.batch_load) {
      const std::int64_t done = load_pushed_ += ok + errors;
      if (limit_ && done >= *limit_) {
        std::int64_t none = 0;
        pushes_done_ns_.compare_exchange_strong(none, Clock::now().time_since_epoch().count());
      }
      check_limit_reached();
    }
  } else {
    (c.batch_load ? t.pops_load : t.pops_warmup) += ok;
    (c.batch_load ? t.pop_errors_load : t.pop_errors_warmup) += errors;
    if (c.batch_load && limit_) check_limit_reached();
    // RPOP on empty queues answers at once: back off instead of spinning.
    if (ok == 0 && spec_.pop == "rpop") c.not_before = Clock::now() + kEmptyPopBackoff;
  }
}

void RedisQueueDriver::work(std::vector<Conn*> conns) {
  interrupt::block_in_this_thread();
  Tally tally;
  ReplyLoop::Hooks hooks;
  hooks.going = [this] { return keep_going(); };
  hooks.fill = [&](ReplyLoop::Round& round) {
    bool left = false;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      Conn& c = *conns[i];
      if (c.finished) continue;
      if (c.in_flight == 0 && (!round.going || !send_batch(c, round.now, round.wake))) {
        if (c.in_flight == 0) c.finished = true;
        if (c.finished) continue;
      }
      left = true;
      if (c.in_flight > 0) round.await(c.connection->context()->fd, i);
    }
    return left;
  };
  hooks.read = [&](std::size_t i) {
    if (!read_replies(*conns[i], tally)) conns[i]->finished = true;
    return true;
  };
  const ReplyLoop::Result end = ReplyLoop::run(hooks, kDrainTimeout);
  switch (end.end) {
    case ReplyLoop::End::done:
      break;
    case ReplyLoop::End::stalled: {  // a server that stopped answering
      std::int64_t abandoned = 0;
      for (Conn* c : conns) abandoned += c->in_flight;
      set_fatal(fmt::format("{} replies from Redis did not come within {} s of stopping the "
                            "load: the server stalls",
                            abandoned, std::chrono::duration_cast<std::chrono::seconds>(
                                           kDrainTimeout).count()));
      break;
    }
    case ReplyLoop::End::poll_failed:
      set_fatal(std::string("poll failed: ") + std::strerror(end.error));
      break;
  }
  add_tally(tally);
}

DriverReport RedisQueueDriver::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // The jobs left in the queues, as Redis counts them (whoever consumed the others).
  std::optional<std::int64_t> backlog;
  if (!connections_.empty() && !fatal()) {
    try {
      backlog = queue_length(*connections_.front(), queue_keys());
    } catch (const RunError&) {
      // The server is gone: the run is invalid for that reason already.
    }
  }
  std::lock_guard lock(mutex_);
  const Tally& t = *total_;
  DriverReport r;
  r.ops = t.pushes_load;
  r.errors = t.push_errors_load + t.pop_errors_load;
  r.latency = t.push_latency;
  if (spec_.rate_per_s > 0) r.target_rate_per_s = spec_.rate_per_s;
  if (const auto ns = pushes_done_ns_.load(); ns != 0) {
    r.ops_done_at = Clock::time_point(Clock::duration(ns));
  }
  r.details = {
      {"pushes", {{"warmup", t.pushes_warmup}, {"load", t.pushes_load}}},
      {"pops", {{"warmup", t.pops_warmup}, {"load", t.pops_load}}},
      {"push_errors", {{"warmup", t.push_errors_warmup}, {"load", t.push_errors_load}}},
      {"pop_errors", {{"warmup", t.pop_errors_warmup}, {"load", t.pop_errors_load}}},
      {"backlog_at_stop", backlog ? nlohmann::json(*backlog) : nlohmann::json()},
      {"connections", spec_.producers + spec_.consumers},
      {"threads", workers_used_},
  };
  if (fatal_) r.problems.push_back(*fatal_);
  return r;
}

}  // namespace memgate
