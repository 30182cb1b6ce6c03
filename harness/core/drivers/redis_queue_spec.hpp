#pragma once

// The redis-queue driver's settings (docs/scenarios.md, "The redis-queue driver"). Two modes:
// - memgate's own producers and consumers on a Redis it gates (consumers > 0), or
// - producer-only (consumers 0): a worker SUT consumes the jobs and `completion` says how memgate
//   learns that one is done.

#include <optional>
#include <string>
#include <vector>

#include "core/texts/text_spec.hpp"

namespace memgate {

// How memgate learns that a job is done, when the SUT (not memgate) consumes the queue.
struct RedisCompletion {
  enum class Kind { own_pops, ack_queue, drain };
  Kind kind = Kind::own_pops;  // own_pops: memgate's consumers complete the jobs
  std::string ack_queue;       // ack_queue: the SUT LPUSHes the job's id (or the job) here
};

struct RedisQueueDriverSpec {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string redis_service;  // the service whose {port:NAME} memgate loads ("" : host/port)
  int queues = 1;
  std::vector<std::string> queue_names;  // the lists' keys (from queue_names, or prefix + index)
  int producers = 1;
  int consumers = 1;
  int pipeline = 1;
  int payload_bytes = 512;
  double rate_per_s = 0;           // producers' total rate; 0: closed model (as fast as answered)
  double consumer_rate_per_s = 0;  // consumers' total rate; defaults to rate_per_s
  std::string pop = "brpop";       // brpop | rpop
  std::string password_env;        // environment variable holding the password; empty: no AUTH
  // A job: `template` with {job_id}, {enqueued_us} and {text_json} replaced (nothing else), the
  // texts for {text_json}; without a template, payload_bytes of random letters.
  std::optional<std::string> job_template;
  std::optional<TextsSpec> job_texts;
  RedisCompletion completion;

  bool producer_only() const { return consumers == 0; }
};

}  // namespace memgate
