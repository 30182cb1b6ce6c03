#include "runtime/run/readiness.hpp"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "core/model/errors.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"

namespace memgate {

namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const ReadyProbe& probe) {
  if (const auto* tcp = std::get_if<ReadyTcp>(&probe.how)) {
    return fmt::format("nothing accepted TCP connections on {}:{}", tcp->host, tcp->port);
  }
  if (const auto* log = std::get_if<ReadyLog>(&probe.how)) {
    return fmt::format("no line of its output contained \"{}\"", log->text);
  }
  return "it did not stay up for the delay";
}

// Throws when waiting must end without the SUT being ready.
void check_still_waiting(SutProcess& sut) {
  if (interrupt::requested()) {
    throw RunError(fmt::format("interrupted by SIG{} while waiting for the SUT",
                               sigabbrev_np(interrupt::signal_number())));
  }
  if (const auto exit = sut.exit_info()) {
    throw RunError(fmt::format("the SUT {} before it was ready", exit->describe()),
                   "see the SUT's log below: a port in use, a bad argument, a missing file?",
                   sut.log_tail());
  }
}

}  // namespace

void wait_until_ready(SutProcess& sut, const ReadyProbe& probe) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(
                                    static_cast<long long>(probe.timeout_s * 1e6));
  if (const auto* delay = std::get_if<ReadyDelay>(&probe.how)) {
    const auto until = start + std::chrono::milliseconds(delay->delay_ms);
    while (Clock::now() < until) {
      check_still_waiting(sut);
      interrupt::sleep_for(std::min(10.0, std::chrono::duration<double, std::milli>(
                                              until - Clock::now()).count()));
    }
    check_still_waiting(sut);
    return;
  }
  if (const auto* log = std::get_if<ReadyLog>(&probe.how)) {
    OutputPump* output = sut.output();
    const double timeout_ms = probe.timeout_s * 1000;
    const bool seen = output && output->wait_for_count(log->text, 1, timeout_ms, [&] {
      return !interrupt::requested() && !sut.exit_info();
    });
    if (seen) return;
    // The output ended before the text came: the SUT is exiting, or closed its output. Give it
    // the rest of the timeout to be reaped, so the message says how it ended.
    const auto left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
    if (left > 0 && !interrupt::requested()) sut.wait_exit(left);
    check_still_waiting(sut);
  } else {
    const auto& tcp = std::get<ReadyTcp>(probe.how);
    while (Clock::now() < deadline) {
      check_still_waiting(sut);
      if (net::tcp_connects(tcp.host, tcp.port, 100)) return;
      interrupt::sleep_for(20);
    }
    check_still_waiting(sut);
  }
  throw RunError(fmt::format("the SUT was not ready within {} s: {}", probe.timeout_s,
                             describe(probe)),
                 "raise sut.ready.timeout_s, or check the SUT's log below", sut.log_tail());
}

}  // namespace memgate
