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

// Throws when waiting must end without the process being ready.
void check_still_waiting(SutProcess& sut, const std::string& who) {
  if (interrupt::requested()) {
    throw RunError(fmt::format("interrupted by SIG{} while waiting for {}",
                               sigabbrev_np(interrupt::signal_number()), who));
  }
  if (const auto exit = sut.exit_info()) {
    throw RunError(fmt::format("{} {} before it was ready", who, exit->describe()),
                   "see its log below: a port in use, a bad argument, a missing file?",
                   sut.log_tail());
  }
}

}  // namespace

void wait_until_ready(SutProcess& sut, const ReadyProbe& probe, const std::string& who,
                      const std::string& timeout_key) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(
                                    static_cast<long long>(probe.timeout_s * 1e6));
  if (const auto* delay = std::get_if<ReadyDelay>(&probe.how)) {
    const auto until = start + std::chrono::milliseconds(delay->delay_ms);
    while (Clock::now() < until) {
      check_still_waiting(sut, who);
      interrupt::sleep_for(std::min(10.0, std::chrono::duration<double, std::milli>(
                                              until - Clock::now()).count()));
    }
    check_still_waiting(sut, who);
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
    check_still_waiting(sut, who);
  } else {
    const auto& tcp = std::get<ReadyTcp>(probe.how);
    while (Clock::now() < deadline) {
      check_still_waiting(sut, who);
      if (net::tcp_connects(tcp.host, tcp.port, 100)) return;
      interrupt::sleep_for(20);
    }
    check_still_waiting(sut, who);
  }
  throw RunError(fmt::format("{} was not ready within {} s: {}", who, probe.timeout_s,
                             describe(probe)),
                 fmt::format("raise {} (now {} s), or check its log below", timeout_key,
                             probe.timeout_s),
                 sut.log_tail());
}

}  // namespace memgate
