#pragma once

#include "core/scenario/scenario.hpp"

namespace memgate {

class SutProcess;

// Waits until the SUT is ready as the probe says (a TCP connection succeeds, a log line appears,
// a delay passed). Throws RunError with the SUT's log tail when it exits first, is not ready
// within the probe's timeout, or memgate is interrupted.
void wait_until_ready(SutProcess& sut, const ReadyProbe& probe);

}  // namespace memgate
