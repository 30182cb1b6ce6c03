#pragma once

// A scenario's driver settings: one alternative per registered driver kind (driver_kind.hpp).

#include <variant>

#include "core/drivers/load_command_spec.hpp"
#include "core/drivers/redis_queue_spec.hpp"
#include "core/drivers/text_batch_spec.hpp"

namespace memgate {

// `command`: no driver; the SUT runs to completion and its whole life is the load phase.
struct CommandDriverSpec {};

using DriverSpec = std::variant<RedisQueueDriverSpec, TextBatchDriverSpec, CommandDriverSpec,
                                LoadCommandDriverSpec>;

}  // namespace memgate
