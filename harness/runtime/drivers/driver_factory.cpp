#include "runtime/drivers/driver_factory.hpp"

#include <functional>
#include <map>

#include "core/drivers/driver_kind.hpp"
#include "core/model/errors.hpp"
#include "runtime/drivers/http_batch_driver.hpp"
#include "runtime/drivers/redis_producer_driver.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"
#include "runtime/drivers/stdin_batch_driver.hpp"

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

// The runtime half of the driver registry (core/drivers/driver_kind.hpp): kind name -> factory.
const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> kFactories = {
      {"redis-queue", make_redis_queue},
      {"text-batch", make_text_batch},
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

std::vector<std::string> drivers_with_factory() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

}  // namespace memgate
