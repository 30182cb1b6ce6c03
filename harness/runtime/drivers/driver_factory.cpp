#include "runtime/drivers/driver_factory.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "core/drivers/driver_kind.hpp"
#include "core/drivers/driver_parsing.hpp"
#include "core/model/env_refs.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/secret_mask.hpp"
#include "runtime/drivers/http_batch_driver.hpp"
#include "runtime/drivers/load_command_driver.hpp"
#include "runtime/drivers/redis_producer_driver.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"
#include "runtime/drivers/stdin_batch_driver.hpp"
#include "runtime/env/environment.hpp"

namespace memgate {

namespace {

using Factory = std::function<std::unique_ptr<Driver>(const Scenario&)>;

std::unique_ptr<Driver> make_redis_queue(const Scenario& s) {
  const auto& spec = std::get<RedisQueueDriverSpec>(s.driver);
  if (spec.producer_only()) return std::make_unique<RedisProducerDriver>(spec);
  return std::make_unique<RedisQueueDriver>(spec);
}

std::unique_ptr<Driver> make_text_batch(const Scenario& s) {
  const auto& spec = std::get<TextBatchDriverSpec>(s.driver);
  auto corpus = std::make_shared<const TextCorpus>(spec.texts);
  if (spec.transport == "stdin") return std::make_unique<StdinBatchDriver>(spec, corpus);
  return std::make_unique<HttpBatchDriver>(spec, corpus);
}

std::unique_ptr<Driver> make_load_command(const Scenario& s) {
  return std::make_unique<LoadCommandDriver>(std::get<LoadCommandDriverSpec>(s.driver), s.phases);
}

// The runtime half of the driver registry (core/drivers/driver_kind.hpp): kind name -> factory.
const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> kFactories = {
      {"redis-queue", make_redis_queue},
      {"text-batch", make_text_batch},
      {"load-command", make_load_command},
  };
  return kFactories;
}

}  // namespace

std::unique_ptr<Driver> make_driver(const Scenario& scenario) {
  const std::string type = driver_type(scenario.driver);
  const auto it = factories().find(type);
  if (it == factories().end()) {
    throw RunError("the " + type + " driver has no load: it cannot run");
  }
  return it->second(scenario);
}

namespace {

// Every {env:NAME} of the request headers: set, long enough to mask, and registered as a secret.
void check_header_secrets(const Scenario& scenario, const TextBatchDriverSpec& text,
                          bool env_required, std::vector<std::string>& notes) {
  for (const auto& [name, value] : text.request.headers) {
    for (const auto& env : env_ref_names(value)) {
      const auto set = getenv_value(env);
      if (set && set->size() >= secrets::kMinSecretBytes) {
        secrets::add(env, *set);  // masked in everything memgate writes from now on
        continue;
      }
      const bool short_value = set && !set->empty();
      const std::string path = json_pointer_child("/driver/request/headers", name);
      const std::string problem =
          !set           ? fmt::format("{{env:{}}} names ${}, which is not set", env, env)
          : set->empty() ? fmt::format("{{env:{}}} names ${}, which is empty", env, env)
                         : fmt::format(
                               "{{env:{}}} names ${}, whose value is {} byte(s): memgate "
                               "masks every such value in what it writes, and one "
                               "shorter than {} bytes would mask ordinary text",
                               env, env, set->size(), secrets::kMinSecretBytes);
      if (!env_required) {
        notes.push_back(fmt::format("{}: {}: {}: a run {} it", scenario.file, path, problem,
                                    short_value ? "refuses" : "needs"));
        continue;
      }
      throw InputError(
          scenario.file, path, problem,
          short_value ? "{env:NAME} is for secrets (tokens, passwords); write a value that is "
                        "not secret in the file itself"
                      : fmt::format("export {}=... before running memgate (the value is read at "
                                    "run time and masked in everything memgate writes)",
                                    env));
    }
  }
}

// The Redis password of password_env: a secret too. Unset or empty, the driver says what that
// means when the run starts.
void check_password(const Scenario& scenario, const RedisQueueDriverSpec& redis, bool env_required,
                    std::vector<std::string>& notes) {
  if (redis.password_env.empty()) return;
  const auto password = getenv_value(redis.password_env);
  if (!password || password->empty()) return;
  if (password->size() >= secrets::kMinSecretBytes) {
    secrets::add(redis.password_env, *password);
    return;
  }
  const std::string problem = fmt::format(
      "${} is {} byte(s) long: memgate masks the password in what it writes, and one shorter "
      "than {} bytes would mask ordinary text",
      redis.password_env, password->size(), secrets::kMinSecretBytes);
  if (!env_required) {
    notes.push_back(
        fmt::format("{}: /driver/password_env: {}: a run refuses it", scenario.file, problem));
    return;
  }
  throw InputError(scenario.file, "/driver/password_env", problem,
                   "use a password of 8 bytes or more");
}

// A texts file is read now: what the load holds at once, with its longest text, is checked as a
// generated corpus's is when the scenario loads (of every sweep value).
void check_file_corpus(const Scenario& scenario, const TextsSpec& texts) {
  const TextCorpus corpus(texts);
  const auto longest = static_cast<std::int64_t>(corpus.longest_json_bytes());
  std::vector<const Scenario*> all{&scenario};
  if (scenario.sweep) {
    for (const auto& variant : scenario.sweep->variants) all.push_back(variant.get());
  }
  for (const Scenario* s : all) {
    const ObjectReader driver(s->source.at("driver"), "/driver", s->file);
    if (const auto* text = std::get_if<TextBatchDriverSpec>(&s->driver)) {
      driver_parsing::check_text_batch_in_flight(driver, *text, longest);
    } else if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&s->driver)) {
      driver_parsing::check_redis_in_flight(driver, *redis, longest);
    }
  }
}

}  // namespace

std::vector<std::string> check_run_inputs(const Scenario& scenario, bool env_required) {
  std::vector<std::string> notes;
  std::optional<TextsSpec> texts;
  if (const auto* text = std::get_if<TextBatchDriverSpec>(&scenario.driver)) {
    texts = text->texts;
    check_header_secrets(scenario, *text, env_required, notes);
  }
  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario.driver)) {
    texts = redis->job_texts;
    check_password(scenario, *redis, env_required, notes);
  }
  if (texts && std::holds_alternative<TextFileSource>(*texts)) check_file_corpus(scenario, *texts);
  return notes;
}

std::vector<std::string> drivers_with_factory() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

}  // namespace memgate
