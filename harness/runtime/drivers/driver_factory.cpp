#include "runtime/drivers/driver_factory.hpp"

#include "core/model/errors.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"

namespace memgate {

std::unique_ptr<Driver> make_driver(const Scenario& scenario) {
  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario.driver)) {
    return std::make_unique<RedisQueueDriver>(*redis);
  }
  throw RunError("the " + driver_type(scenario.driver) + " driver cannot run this scenario");
}

}  // namespace memgate
