#include "runtime/run/readiness.hpp"

#include <fmt/format.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
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
  if (std::holds_alternative<ReadyStdin>(probe.how)) {
    return "no process of it was waiting to read its stdin (one busy starting up, or one that "
           "reads through poll/epoll, is not seen)";
  }
  return "it did not stay up for the delay";
}

std::string stdin_of(int pid) {
  std::error_code ec;
  return std::filesystem::read_symlink(fmt::format("/proc/{}/fd/0", pid), ec).string();
}

enum class StdinWait { reading, not_yet, cannot_tell };

// Whether a thread of the tree of root, sharing root's stdin, is blocked in read(), readv() or
// pread64() on file descriptor 0, from /proc/PID/task/TID/syscall (readable for memgate's own
// children unless ptrace is restricted further: then it cannot tell). A program that waits on
// its stdin through poll() or epoll is not seen.
StdinWait tree_waits_on_stdin(int root) {
  const std::string pipe = stdin_of(root);
  if (pipe.empty()) return StdinWait::not_yet;
  if (read_text_file(fmt::format("/proc/{}/syscall", root)).empty()) {
    return stdin_of(root).empty() ? StdinWait::not_yet : StdinWait::cannot_tell;
  }
  std::vector<int> pending{root};
  for (std::size_t seen = 0; !pending.empty() && seen < 4096; ++seen) {
    const int pid = pending.back();
    pending.pop_back();
    const bool same_stdin = pid == root || stdin_of(pid) == pipe;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
      const std::string dir = task.path().string();
      if (same_stdin) {
        const auto call = procfs::parse_syscall(read_text_file(dir + "/syscall"));
        if (call && call->first_argument == 0 &&
            (call->number == SYS_read || call->number == SYS_readv ||
             call->number == SYS_pread64)) {
          return StdinWait::reading;
        }
      }
      for (int child : procfs::parse_pid_list(read_text_file(dir + "/children"))) {
        pending.push_back(child);
      }
    }
  }
  return StdinWait::not_yet;
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

std::optional<std::string> wait_until_ready(SutProcess& sut, const ReadyProbe& probe,
                                            const std::string& who,
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
    return std::nullopt;
  }
  if (const auto* log = std::get_if<ReadyLog>(&probe.how)) {
    OutputPump* output = sut.output();
    const double timeout_ms = probe.timeout_s * 1000;
    const bool seen = output && output->wait_for_count(log->text, 1, timeout_ms, [&] {
      return !interrupt::requested() && !sut.exit_info();
    });
    if (seen) return std::nullopt;
    // The output ended before the text came: the SUT is exiting, or closed its output. Give it
    // the rest of the timeout to be reaped, so the message says how it ended.
    const auto left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
    if (left > 0 && !interrupt::requested()) sut.wait_exit(left);
    check_still_waiting(sut, who);
  } else if (std::holds_alternative<ReadyStdin>(probe.how)) {
    constexpr const char* kOtherProbes = R"(give sut.ready as {"log": TEXT} or {"delay_ms": N})";
    while (Clock::now() < deadline) {
      check_still_waiting(sut, who);
      const StdinWait wait = tree_waits_on_stdin(sut.pid());
      if (wait == StdinWait::reading) return std::nullopt;
      if (wait == StdinWait::cannot_tell) {
        const std::string why = fmt::format(
            "cannot tell whether {} waits on its stdin: /proc/{}/syscall is not readable here "
            "(ptrace is restricted)",
            who, sut.pid());
        if (probe.implicit) return why + "; the load began at once: " + kOtherProbes;
        throw RunError(why, kOtherProbes, sut.log_tail());
      }
      interrupt::sleep_for(20);
    }
    check_still_waiting(sut, who);
    if (probe.implicit) {
      return fmt::format(
          "{} was not seen waiting to read its stdin within {} s (memgate's "
          "default readiness for stdin SUTs); the load began anyway: {}",
          who, probe.timeout_s, kOtherProbes);
    }
  } else {
    const auto& tcp = std::get<ReadyTcp>(probe.how);
    while (Clock::now() < deadline) {
      check_still_waiting(sut, who);
      if (net::tcp_connects(tcp.host, tcp.port, 100)) return std::nullopt;
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
