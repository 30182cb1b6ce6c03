#pragma once

#include <optional>
#include <string>

#include "core/scenario/scenario.hpp"

namespace memgate {

class SutProcess;

// Waits until a process is ready as the probe says (a TCP connection succeeds, a log line
// appears, a delay passed, a process of its tree waits in read() on its stdin). Throws RunError
// with its log tail when it exits first, is not ready within the probe's timeout, or memgate is
// interrupted. who names it in messages ("the SUT", "the service 'redis'"); timeout_key names the
// probe's timeout in the scenario, for the hint
// ("services.redis.ready.timeout_s").
// A probe memgate added by default (ReadyProbe::implicit) that cannot tell does not fail: it
// returns a warning and the run goes on.
std::optional<std::string> wait_until_ready(SutProcess& process, const ReadyProbe& probe,
                                            const std::string& who, const std::string& timeout_key);

}  // namespace memgate
