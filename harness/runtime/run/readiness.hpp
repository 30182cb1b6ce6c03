#pragma once

#include <string>

#include "core/scenario/scenario.hpp"

namespace memgate {

class SutProcess;

// Waits until a process is ready as the probe says (a TCP connection succeeds, a log line
// appears, a delay passed). Throws RunError with its log tail when it exits first, is not ready
// within the probe's timeout, or memgate is interrupted. who names it in messages ("the SUT",
// "the service 'redis'"); timeout_key names the probe's timeout in the scenario, for the hint
// ("services.redis.ready.timeout_s").
void wait_until_ready(SutProcess& process, const ReadyProbe& probe, const std::string& who,
                      const std::string& timeout_key);

}  // namespace memgate
