#include "runtime/drivers/driver_factory.hpp"

#include "core/model/errors.hpp"
#include "runtime/drivers/http_batch_driver.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"
#include "runtime/drivers/stdin_batch_driver.hpp"

namespace memgate {

std::unique_ptr<Driver> make_driver(const Scenario& scenario) {
  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario.driver)) {
    return std::make_unique<RedisQueueDriver>(*redis);
  }
  if (const auto* text = std::get_if<TextBatchDriverSpec>(&scenario.driver)) {
    auto corpus = std::make_shared<const TextCorpus>(*text);
    if (text->transport == "stdin") return std::make_unique<StdinBatchDriver>(*text, corpus);
    return std::make_unique<HttpBatchDriver>(*text, corpus);
  }
  throw RunError("the " + driver_type(scenario.driver) + " driver has no load: it cannot run");
}

}  // namespace memgate
