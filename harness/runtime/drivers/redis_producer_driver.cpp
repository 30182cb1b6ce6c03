#include "runtime/drivers/redis_producer_driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/model/errors.hpp"
#include "core/stats/histogram.hpp"
#include "runtime/drivers/pacer.hpp"
#include "runtime/drivers/redis_protocol.hpp"
#include "runtime/drivers/reply_loop.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kBlockingPopTimeout = "0.01";  // s: bounds how long stopping can take
// A round on the ack queue: a BRPOP (waits up to 10 ms when it is empty), then one RPOP of up
// to this many more (Redis 6.2+: RPOP key count), so an idle queue costs 2 commands a round.
constexpr int kAckBatch = 256;
constexpr auto kLengthRoundInterval = std::chrono::milliseconds(1);
constexpr auto kSendAhead = std::chrono::milliseconds(1);  // open model: how early a job may go
constexpr auto kReplyTimeout = std::chrono::seconds(5);    // for replies in flight at stop

std::int64_t realtime_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::int64_t ticks(Clock::time_point t) {
  return t.time_since_epoch().count();
}

}  // namespace

struct RedisProducerDriver::Producer {
  RedisConnection* connection = nullptr;
  Pacer pacer{0, Clock::now()};
  std::int64_t next_op = 0;  // index in the connection's schedule
  std::size_t next_queue = 0;
  std::int64_t first_id = 0;  // the batch in flight: ids first_id .. first_id + sent - 1
  std::int64_t sent = 0;
  std::int64_t answered = 0;
  std::string buffer;
};

// State of the event loop, touched by its thread only (and read by stop() after the join).
struct RedisProducerDriver::Loop {
  std::vector<Producer> producers;
  std::int64_t next_id = 1;
  std::vector<Clock::time_point> enqueued;  // by id - 1: when the job was due (open) or sent
  std::vector<std::uint8_t> state;          // by id - 1: 0 waiting, 1 done, 2 its LPUSH failed
  std::int64_t first_load_id = 0;           // 0: no job of the load phase sent yet
  std::int64_t pushed_ok = 0;
  std::int64_t pushed_warmup = 0, pushed_load = 0;
  std::int64_t push_errors_warmup = 0, push_errors_load = 0;
  std::int64_t completed = 0;                             // every job done, all phases
  std::int64_t completed_warmup = 0, completed_load = 0;  // seen during each phase
  std::int64_t unmatched_acks = 0, duplicate_acks = 0;
  LatencyHistogram latency;  // jobs of the load phase
  // The completion connection.
  std::int64_t completion_in_flight = 0;
  std::int64_t llen_sum = 0;
  std::int64_t pushed_at_poll = 0;  // drain: LPUSHes answered before the LLENs went out
  Clock::time_point next_poll;
  std::string ack_round;   // BRPOP + RPOPs on the ack queue
  std::string llen_round;  // LLEN of every queue
  // The load's op limit, copied once the loop sees the load begin (begin_load() publishes it
  // with in_load_): the loop never reads limit_ while the main thread may write it.
  std::optional<std::int64_t> limit;

  // Jobs pushed and neither done nor failed: what the closed model bounds.
  std::int64_t outstanding() const {
    return next_id - 1 - completed - push_errors_warmup - push_errors_load;
  }
};

RedisProducerDriver::RedisProducerDriver(RedisQueueDriverSpec spec)
    : spec_(std::move(spec)),
      job_(spec_.job_template ? *spec_.job_template
                              : JobTemplate::default_text(
                                    make_payload(spec_.payload_bytes),
                                    spec_.completion.kind == RedisCompletion::Kind::ack_queue)),
      loop_(std::make_unique<Loop>()) {
  if (!spec_.password_env.empty()) {
    const char* value = std::getenv(spec_.password_env.c_str());
    if (!value) {
      throw RunError(
          fmt::format("driver.password_env names ${}, which is not set", spec_.password_env),
          fmt::format("export {}=... before running memgate", spec_.password_env));
    }
    password_ = value;
  }
  if (spec_.job_texts) texts_ = std::make_unique<TextCorpus>(*spec_.job_texts);
  for (const auto& key : spec_.queue_names) lpush_prefixes_.push_back(lpush_prefix(key));
}

RedisProducerDriver::~RedisProducerDriver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RedisProducerDriver::connect() {
  for (int i = 0; i < spec_.producers; ++i) {
    producers_.push_back(std::make_unique<RedisConnection>(spec_.host, spec_.port, password_));
  }
  completion_ = std::make_unique<RedisConnection>(spec_.host, spec_.port, password_);
  std::vector<std::string> del{"DEL"};
  for (const auto& key : spec_.queue_names) del.push_back(key);
  if (!spec_.completion.ack_queue.empty()) del.push_back(spec_.completion.ack_queue);
  completion_->command(del);  // start from empty queues
}

void RedisProducerDriver::start(Clock::time_point deadline) {
  deadline_ = deadline;
  const auto now = Clock::now();
  Loop& l = *loop_;
  for (std::size_t i = 0; i < producers_.size(); ++i) {
    Producer p;
    p.connection = producers_[i].get();
    p.pacer = Pacer(spec_.rate_per_s / spec_.producers, now);
    p.next_queue = i % spec_.queue_names.size();
    l.producers.push_back(std::move(p));
  }
  if (spec_.completion.kind == RedisCompletion::Kind::ack_queue) {
    l.ack_round = resp_command({"BRPOP", spec_.completion.ack_queue, kBlockingPopTimeout}) +
                  resp_command({"RPOP", spec_.completion.ack_queue, std::to_string(kAckBatch)});
  } else {
    for (const auto& key : spec_.queue_names) l.llen_round += resp_command({"LLEN", key});
  }
  l.next_poll = now;
  thread_ = std::thread([this] { run(); });
}

void RedisProducerDriver::begin_load(std::optional<std::int64_t> op_limit) {
  limit_ = op_limit;
  in_load_.store(true);  // publishes limit_ to the loop thread
}

std::optional<Driver::Clock::time_point> RedisProducerDriver::limit_reached_at() const {
  const auto ns = limit_reached_ns_.load();
  if (ns == 0) return std::nullopt;
  return Clock::time_point(Clock::duration(ns));
}

void RedisProducerDriver::set_fatal(const std::string& what) {
  std::lock_guard lock(mutex_);
  if (!fatal_) fatal_ = what;
  failed_ = true;
}

std::optional<std::string> RedisProducerDriver::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

bool RedisProducerDriver::acks() const {
  return spec_.completion.kind == RedisCompletion::Kind::ack_queue;
}

// The jobs of the load phase done so far (failed pushes count: they will never be done).
void RedisProducerDriver::update_load_done() {
  Loop& l = *loop_;
  std::int64_t done;
  if (!l.limit) {
    done = l.completed_load;
  } else if (l.first_load_id == 0) {
    done = 0;
  } else if (acks()) {
    done = l.completed_load + l.push_errors_load;
  } else {  // drain: jobs leave the queue in any order; the warm-up's count first
    const std::int64_t warmup_ok = l.first_load_id - 1 - l.push_errors_warmup;
    l.completed_load = std::clamp<std::int64_t>(l.completed - warmup_ok, 0, *l.limit);
    l.completed_warmup = l.completed - l.completed_load;
    done = l.completed_load + l.push_errors_load;
  }
  load_done_.store(done);
  if (l.limit && done >= *l.limit) {
    std::int64_t none = 0;
    limit_reached_ns_.compare_exchange_strong(none, ticks(Clock::now()));
  }
}

// An ack for job id arrived at now.
void RedisProducerDriver::complete(std::int64_t id, Clock::time_point now) {
  Loop& l = *loop_;
  if (id < 1 || id >= l.next_id) {
    ++l.unmatched_acks;
    return;
  }
  std::uint8_t& state = l.state[static_cast<std::size_t>(id - 1)];
  if (state != 0) {
    ++l.duplicate_acks;
    return;
  }
  state = 1;
  ++l.completed;
  const bool load_job = l.first_load_id > 0 && id >= l.first_load_id;
  if (load_job) l.latency.record((now - l.enqueued[static_cast<std::size_t>(id - 1)]).count());
  const bool counts = l.limit ? load_job : in_load_.load();
  (counts ? l.completed_load : l.completed_warmup) += 1;
}

void RedisProducerDriver::lost(RedisConnection& c) {
  set_fatal(fmt::format("lost the connection to Redis at {}: {}", c.endpoint(), c.error()));
}

// Writes what hiredis buffered for c; false when the connection is lost.
bool RedisProducerDriver::flush(RedisConnection& c) {
  for (int done = 0; !done;) {
    if (redisBufferWrite(c.context(), &done) != REDIS_OK) {
      lost(c);
      return false;
    }
  }
  return true;
}

// Sends the producer's next batch if it is due and allowed; lowers `wake` to when it will be.
bool RedisProducerDriver::send(Producer& p, Clock::time_point now, Clock::time_point& wake) {
  Loop& l = *loop_;
  const bool load = in_load_.load();
  if (load && l.first_load_id == 0) l.first_load_id = l.next_id;
  std::int64_t n = spec_.pipeline;
  if (load && l.limit) n = std::min(n, *l.limit - (l.next_id - l.first_load_id));
  if (spec_.rate_per_s <= 0) {  // closed model: at most producers x pipeline jobs outstanding
    n = std::min(n, static_cast<std::int64_t>(spec_.producers) * spec_.pipeline - l.outstanding());
  }
  if (n <= 0) return false;
  const auto due = p.pacer.due(p.next_op);
  if (p.pacer.open()) {
    if (due > now) {
      wake = std::min(wake, due);
      return false;
    }
    // The jobs due now and those due within kSendAhead go together: a batch leaves at most
    // that early (one write per batch, not per job, at tens of thousands of jobs a second).
    std::int64_t ready = 1;
    while (ready < n && p.pacer.due(p.next_op + ready) <= now + kSendAhead) ++ready;
    n = ready;
  }
  p.buffer.clear();
  p.first_id = l.next_id;
  const std::int64_t enqueued_us = realtime_us();
  std::string body;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t id = l.next_id++;
    body.clear();
    job_.render(body, id, enqueued_us,
                texts_ ? std::string_view(texts_->json_text(static_cast<std::uint64_t>(id - 1)))
                       : std::string_view());
    append_lpush(p.buffer, lpush_prefixes_[p.next_queue], body);
    p.next_queue = (p.next_queue + 1) % spec_.queue_names.size();
    // Latency counts from when the job was due, or was sent if that was earlier.
    l.enqueued.push_back(p.pacer.open() ? std::min(p.pacer.due(p.next_op + k), now) : now);
    l.state.push_back(0);
  }
  p.next_op += n;
  p.sent = n;
  p.answered = 0;
  redisAppendFormattedCommand(p.connection->context(), p.buffer.data(), p.buffer.size());
  return flush(*p.connection);
}

// Sends the completion connection's next round (pops of the ack queue, or LLENs when due).
void RedisProducerDriver::ask_completion(Clock::time_point now, Clock::time_point& wake) {
  Loop& l = *loop_;
  if (!acks() && now < l.next_poll) {
    wake = std::min(wake, l.next_poll);
    return;
  }
  const std::string& round = acks() ? l.ack_round : l.llen_round;
  l.completion_in_flight = acks() ? 2 : static_cast<std::int64_t>(spec_.queue_names.size());
  l.llen_sum = 0;
  l.pushed_at_poll = l.pushed_ok;
  l.next_poll = now + kLengthRoundInterval;
  redisAppendFormattedCommand(completion_->context(), round.data(), round.size());
  flush(*completion_);
}

// The LPUSH replies that arrived for p's batch.
bool RedisProducerDriver::read_producer(Producer& p) {
  Loop& l = *loop_;
  redisContext* ctx = p.connection->context();
  if (redisBufferRead(ctx) != REDIS_OK) {
    lost(*p.connection);
    return false;
  }
  while (p.answered < p.sent) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx, &raw) != REDIS_OK) {
      lost(*p.connection);
      return false;
    }
    if (!raw) break;
    const RedisReply reply(static_cast<redisReply*>(raw));
    const std::int64_t id = p.first_id + p.answered++;
    const bool load_job = l.first_load_id > 0 && id >= l.first_load_id;
    if (reply->type == REDIS_REPLY_ERROR) {
      l.state[static_cast<std::size_t>(id - 1)] = 2;
      ++(load_job ? l.push_errors_load : l.push_errors_warmup);
    } else {
      ++l.pushed_ok;
      ++(load_job ? l.pushed_load : l.pushed_warmup);
    }
  }
  if (p.answered == p.sent) p.sent = p.answered = 0;
  update_load_done();  // failed pushes count as done
  return true;
}

// The acks (or queue lengths) that arrived on the completion connection.
bool RedisProducerDriver::read_completion(Clock::time_point now) {
  Loop& l = *loop_;
  redisContext* ctx = completion_->context();
  if (redisBufferRead(ctx) != REDIS_OK) {
    lost(*completion_);
    return false;
  }
  while (l.completion_in_flight > 0) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx, &raw) != REDIS_OK) {
      lost(*completion_);
      return false;
    }
    if (!raw) break;
    const RedisReply reply(static_cast<redisReply*>(raw));
    --l.completion_in_flight;
    if (acks()) {
      if (!read_acks(*reply, now)) return false;
    } else if (reply->type == REDIS_REPLY_INTEGER) {
      l.llen_sum += reply->integer;
    }
  }
  if (!acks() && l.completion_in_flight == 0) {
    // Every LPUSH answered before the LLENs went out is in their counts, or done.
    const std::int64_t done = l.pushed_at_poll - l.llen_sum;
    if (done > l.completed) {
      if (!l.limit) (in_load_.load() ? l.completed_load : l.completed_warmup) += done - l.completed;
      l.completed = done;
    }
  }
  update_load_done();
  return true;
}

// One reply of an ack round: BRPOP answers [key, ack] (or nil); RPOP with a count answers
// [ack, ...] (or nil).
bool RedisProducerDriver::read_acks(const redisReply& reply, Clock::time_point now) {
  Loop& l = *loop_;
  const bool blocking_pop = l.completion_in_flight == 1;
  if (reply.type == REDIS_REPLY_ERROR) {
    set_fatal(
        fmt::format("Redis refused to pop the ack queue {}: {} (memgate needs Redis "
                    "6.2 or later: RPOP with a count)",
                    spec_.completion.ack_queue, std::string(reply.str, reply.len)));
    return false;
  }
  for (std::size_t i = blocking_pop ? 1 : 0; reply.type == REDIS_REPLY_ARRAY && i < reply.elements;
       ++i) {
    const redisReply* ack = reply.element[i];
    if (ack->type != REDIS_REPLY_STRING) continue;
    if (const auto id = parse_ack(std::string_view(ack->str, ack->len))) {
      complete(*id, now);
    } else {
      ++l.unmatched_acks;
    }
  }
  return true;
}

// One round of the loop: sends what is due, awaits the connections with replies in flight.
bool RedisProducerDriver::fill(ReplyLoop::Round& round) {
  Loop& l = *loop_;
  if (!l.limit && in_load_.load()) l.limit = limit_;
  for (std::size_t i = 0; i < l.producers.size(); ++i) {
    Producer& p = l.producers[i];
    if (p.sent == 0 && round.going) send(p, round.now, round.wake);
    if (p.sent > 0) round.await(p.connection->context()->fd, i);
  }
  if (l.completion_in_flight == 0 && round.going) ask_completion(round.now, round.wake);
  if (l.completion_in_flight > 0) round.await(completion_->context()->fd, l.producers.size());
  return round.awaiting() || round.going;
}

void RedisProducerDriver::run() {
  interrupt::block_in_this_thread();
  ReplyLoop::Hooks hooks;
  hooks.going = [this] {
    return !stop_.load(std::memory_order_relaxed) && Clock::now() < deadline_ &&
           !failed_.load(std::memory_order_relaxed);
  };
  hooks.give_up = [this] { return failed_.load(); };  // a lost connection: stop now
  hooks.fill = [this](ReplyLoop::Round& round) { return fill(round); };
  hooks.read = [this](std::size_t tag) {
    Loop& l = *loop_;
    return tag < l.producers.size() ? read_producer(l.producers[tag])
                                    : read_completion(Clock::now());
  };
  const ReplyLoop::Result end = ReplyLoop::run(hooks, kReplyTimeout);
  switch (end.end) {
    case ReplyLoop::End::done:
      break;
    case ReplyLoop::End::stalled:
      set_fatal(
          fmt::format("replies from Redis did not come within {} s of stopping the load: "
                      "the server stalls",
                      std::chrono::duration_cast<std::chrono::seconds>(kReplyTimeout).count()));
      break;
    case ReplyLoop::End::poll_failed:
      set_fatal(std::string("poll failed: ") + std::strerror(end.error));
      break;
  }
}

DriverReport RedisProducerDriver::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  const Loop& l = *loop_;
  std::optional<std::int64_t> backlog;
  if (completion_ && !fatal()) {
    try {
      backlog = queue_length(*completion_, spec_.queue_names);
    } catch (const RunError&) {
      // The server is gone: the run is invalid for that reason already.
    }
  }
  DriverReport r;
  r.ops = limit_ ? std::min(load_done_.load() - l.push_errors_load, *limit_) : l.completed_load;
  r.errors = l.push_errors_load;
  r.latency = l.latency;
  if (spec_.rate_per_s > 0) r.target_rate_per_s = spec_.rate_per_s;
  r.ops_done_at = limit_reached_at();
  const bool acks = spec_.completion.kind == RedisCompletion::Kind::ack_queue;
  r.details = {
      {"completion", acks ? "ack_queue" : "drain"},
      {"jobs_pushed", {{"warmup", l.pushed_warmup}, {"load", l.pushed_load}}},
      {"jobs_completed", {{"warmup", l.completed_warmup}, {"load", l.completed_load}}},
      {"push_errors", {{"warmup", l.push_errors_warmup}, {"load", l.push_errors_load}}},
      {"backlog_at_stop", backlog ? nlohmann::json(*backlog) : nlohmann::json()},
      {"connections", spec_.producers + 1},
  };
  if (spec_.rate_per_s <= 0) r.details["max_outstanding"] = spec_.producers * spec_.pipeline;
  if (acks) {
    r.details["unmatched_acks"] = l.unmatched_acks;
    r.details["duplicate_acks"] = l.duplicate_acks;
    if (l.unmatched_acks > 0) {
      r.problems.push_back(fmt::format(
          "{} ack(s) on {} named no job memgate pushed: the SUT must LPUSH the job's id (or the "
          "job itself, with its \"id\")",
          l.unmatched_acks, spec_.completion.ack_queue));
    }
  }
  if (auto f = fatal()) r.problems.push_back(*f);
  return r;
}

}  // namespace memgate
