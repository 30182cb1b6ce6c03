// The redis-queue driver kind: its parser and traits (the load itself is
// runtime/drivers/redis_queue_driver and redis_producer_driver).

#include <fmt/format.h>

#include <algorithm>

#include "core/drivers/driver_kind.hpp"
#include "core/drivers/driver_parsing.hpp"
#include "core/model/errors.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

namespace {

using namespace driver_parsing;

constexpr std::size_t kMaxKeyBytes = 200;
constexpr std::size_t kMaxTemplateBytes = 1024 * 1024;

void parse_target(ObjectReader& r, const DriverParseContext& c, RedisQueueDriverSpec& d) {
  const auto service = r.opt_string("redis");
  if (!service) {
    d.host = r.opt_string("host").value_or(d.host);
    require_allowed_host(r, "host", d.host, c.allow_remote);
    d.port = get_port(r, "port");
    // A service's Redis named by its port ("{port:redis}"): its figures are the service's. (While
    // validating every port is the same; a run's ports tell the services apart.)
    for (const auto& [name, port] : c.service_ports) {
      if (port == d.port && d.redis_service.empty()) d.redis_service = name;
    }
    return;
  }
  if (r.has("host") || r.has("port")) {
    r.fail("redis", "give either 'redis' (the name of a service) or 'host' and 'port', not both");
  }
  d.port = service_port(r, "redis", c);
  d.redis_service = *service;
}

std::vector<std::string> parse_queue_names(ObjectReader& r) {
  const auto names = r.opt_string_array("queue_names", 1, 1024);
  if (names) {
    if (r.has("queues") || r.has("key_prefix")) {
      r.fail("queue_names",
             "give either queue_names (the lists' keys) or queues (a count, with "
             "key_prefix), not both");
    }
    return read_queue_keys(r, "queue_names");
  }
  const int queues = static_cast<int>(r.opt_int("queues", 1, 1024).value_or(1));
  const std::string prefix = r.opt_string("key_prefix").value_or("memgate:queue:");
  if (prefix.size() > kMaxKeyBytes) r.fail("key_prefix", "expected at most 200 characters");
  std::vector<std::string> out;
  for (int q = 0; q < queues; ++q) out.push_back(prefix + std::to_string(q));
  return out;
}

void parse_job(ObjectReader& r, const DriverParseContext& c, RedisQueueDriverSpec& d) {
  auto job = r.opt_object("job");
  if (!job) return;
  if (d.consumers > 0) {
    r.fail("job",
           "a job template is for a worker that consumes the queue (consumers: 0); "
           "memgate's own consumers push payload_bytes",
           "set consumers to 0 and give a completion, or remove job");
  }
  if (r.has("payload_bytes")) {
    r.fail("payload_bytes", "a job template sets what is pushed: remove payload_bytes");
  }
  const std::string text = job->get_string("template");
  if (text.empty() || text.size() > kMaxTemplateBytes) {
    job->fail("template", "expected a template of 1 byte to 1 MiB");
  }
  const bool wants_text = text.find("{text_json}") != std::string::npos;
  if (auto texts = job->opt_object("texts")) {
    if (!wants_text) {
      job->fail("texts", "the template has no {text_json}: the texts would never be sent",
                R"(put {text_json} where a text goes, e.g. "{\"text\": {text_json}}")");
    }
    d.job_texts = parse_texts(std::move(*texts), c.scenario_dir);
  } else if (wants_text) {
    job->fail("template", "the template uses {text_json} but the job has no texts",
              R"(add "texts": {"file": ...} or {"generate": {"count": 1000}})");
  }
  job->reject_unknown_keys();
  d.job_template = text;
}

void parse_completion(ObjectReader& r, RedisQueueDriverSpec& d) {
  auto completion = r.opt_object("completion");
  if (d.consumers > 0) {
    if (completion) {
      r.fail("completion", "memgate's own consumers complete the jobs when consumers > 0",
             "set consumers to 0 so that the SUT consumes the queue");
    }
    return;
  }
  if (!completion) {
    r.fail("completion", "required when consumers is 0: how memgate learns that a job is done",
           R"({"ack_queue": "memgate:acks"} (the SUT LPUSHes each finished job's id there) or )"
           R"({"drain": true} (done when it left the queue))");
  }
  const bool has_ack = completion->has("ack_queue"), has_drain = completion->has("drain");
  if (has_ack == has_drain) {
    completion->fail_here("expected exactly one of 'ack_queue' and 'drain'");
  }
  if (has_drain) {
    if (!completion->opt_bool("drain").value()) {
      completion->fail("drain", "expected true (or give ack_queue instead)");
    }
    d.completion.kind = RedisCompletion::Kind::drain;
  } else {
    d.completion.ack_queue = completion->get_string("ack_queue");
    if (d.completion.ack_queue.empty() || d.completion.ack_queue.size() > kMaxKeyBytes) {
      completion->fail("ack_queue", fmt::format("expected a key of 1 to {} bytes", kMaxKeyBytes));
    }
    if (std::count(d.queue_names.begin(), d.queue_names.end(), d.completion.ack_queue) > 0) {
      completion->fail("ack_queue", "the ack queue must not be one of the job queues");
    }
    if (d.job_template && d.job_template->find("{job_id}") == std::string::npos) {
      throw InputError(r.file(), json_pointer_child(r.child_path("job"), "template"),
                       "acknowledged jobs need {job_id} in the template: memgate matches each ack "
                       "to its job by it",
                       R"(for example "{\"id\": \"{job_id}\", \"text\": {text_json}}")");
    }
    d.completion.kind = RedisCompletion::Kind::ack_queue;
  }
  completion->reject_unknown_keys();
}

class RedisQueueKind : public DriverKind {
 public:
  std::string_view name() const override { return "redis-queue"; }

  DriverSpec parse(ObjectReader& r, const DriverParseContext& c) const override {
    RedisQueueDriverSpec d;
    parse_target(r, c, d);
    d.queue_names = parse_queue_names(r);
    d.queues = static_cast<int>(d.queue_names.size());
    d.producers = static_cast<int>(r.opt_int("producers", 1, 256).value_or(d.producers));
    d.consumers = static_cast<int>(r.opt_int("consumers", 0, 256).value_or(d.consumers));
    d.pipeline = static_cast<int>(r.opt_int("pipeline", 1, 4096).value_or(d.pipeline));
    d.payload_bytes =
        static_cast<int>(r.opt_int("payload_bytes", 0, 64 * 1024 * 1024).value_or(d.payload_bytes));
    d.rate_per_s = r.opt_number("rate_per_s", 0, kMaxRatePerS).value_or(0);
    if (d.consumers == 0) {
      for (const char* key : {"consumer_rate_per_s", "pop"}) {
        if (r.has(key)) {
          r.fail(key, "memgate has no consumers of its own (consumers: 0): the SUT consumes");
        }
      }
    }
    d.consumer_rate_per_s =
        r.opt_number("consumer_rate_per_s", 0, kMaxRatePerS).value_or(d.rate_per_s);
    d.pop = r.opt_enum("pop", {"brpop", "rpop"}).value_or(d.pop);
    d.password_env = opt_env_name(r, "password_env").value_or("");
    if (r.has("password")) {
      r.fail("password", "passwords are never written in scenario files",
             "export the password in an environment variable and set password_env to its name");
    }
    constexpr std::int64_t kMaxBatchBytes = 64 * 1024 * 1024;
    if (static_cast<std::int64_t>(d.pipeline) * d.payload_bytes > kMaxBatchBytes) {
      r.fail("pipeline", fmt::format("pipeline x payload_bytes is {} bytes in flight per "
                                     "connection, more than the 64 MiB memgate allows",
                                     static_cast<std::int64_t>(d.pipeline) * d.payload_bytes));
    }
    parse_job(r, c, d);
    // Each producer holds a pipeline of jobs at once (a texts file's are checked when read).
    const auto* generated = d.job_texts ? std::get_if<TextGenerateSource>(&*d.job_texts) : nullptr;
    check_redis_in_flight(r, d, generated ? generated_text_max_bytes(*generated) : 0);
    parse_completion(r, d);
    return d;
  }

  DriverTraits traits(const DriverSpec& spec) const override {
    const auto& d = std::get<RedisQueueDriverSpec>(spec);
    DriverTraits t;
    t.open_model = d.rate_per_s > 0;
    t.op_unit = d.producer_only() ? "job" : "LPUSH";
    // Drain completion sees jobs leave the queue, not finish: no latency per job.
    t.has_latency = d.completion.kind != RedisCompletion::Kind::drain;
    t.no_latency_reason =
        "drain completion sees a job leave the queue, not finish: there is no latency per job "
        "(use completion.ack_queue to measure it)";
    t.redis = RedisTarget{d.redis_service.empty() ? "sut" : d.redis_service, d.host, d.port,
                          d.password_env, d.queue_names};
    return t;
  }
};

}  // namespace

const DriverKind& redis_queue_kind() {
  static const RedisQueueKind kKind;
  return kKind;
}

}  // namespace memgate
