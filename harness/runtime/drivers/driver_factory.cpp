#include "runtime/drivers/driver_factory.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "core/drivers/driver_kind.hpp"
#include "core/model/env_refs.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/json_reader.hpp"
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

std::vector<std::string> check_run_inputs(const Scenario& scenario, bool env_required) {
  std::vector<std::string> notes;
  std::optional<TextsSpec> texts;
  if (const auto* text = std::get_if<TextBatchDriverSpec>(&scenario.driver)) {
    texts = text->texts;
    for (const auto& [name, value] : text->request.headers) {
      for (const auto& env : env_ref_names(value)) {
        const auto set = getenv_value(env);
        if (set && !set->empty()) continue;
        const std::string path = json_pointer_child("/driver/request/headers", name);
        const std::string problem =
            fmt::format("{{env:{}}} names ${}, which is {}", env, env, set ? "empty" : "not set");
        if (!env_required) {
          notes.push_back(fmt::format("{}: {}: {}: a run needs it", scenario.file, path, problem));
          continue;
        }
        throw InputError(scenario.file, path, problem,
                         fmt::format("export {}=... before running memgate (the value is read "
                                     "at run time and never written anywhere)",
                                     env));
      }
    }
  }
  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario.driver))
    texts = redis->job_texts;
  if (texts && std::holds_alternative<TextFileSource>(*texts)) TextCorpus corpus(*texts);
  return notes;
}

std::vector<std::string> drivers_with_factory() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

}  // namespace memgate
