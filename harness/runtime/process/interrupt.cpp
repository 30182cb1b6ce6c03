#include "runtime/process/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <mutex>

namespace memgate::interrupt {

namespace {

std::atomic<int> g_signal{0};
std::atomic<int> g_count{0};
int g_pipe[2] = {-1, -1};
std::once_flag g_pipe_once;

void make_pipe() {
  std::call_once(g_pipe_once, [] {
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  });
}

// Async-signal-safe: an atomic store and a write(2).
void on_signal(int sig) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, sig);
  g_count.fetch_add(1);
  if (g_pipe[1] >= 0) {
    const int saved = errno;
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(g_pipe[1], &byte, 1);
    errno = saved;
  }
}

}  // namespace

void install() {
  make_pipe();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void block_in_this_thread() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

int signal_number() { return g_signal.load(); }
bool requested() { return g_signal.load() != 0; }
int count() { return g_count.load(); }

int wake_fd() {
  make_pipe();
  return g_pipe[0];
}

bool sleep_for(double ms) {
  if (requested()) return false;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<long long>(ms * 1000));
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{wake_fd(), POLLIN, 0};
    ::poll(&pfd, pfd.fd >= 0 ? 1 : 0, static_cast<int>(left.count()));
    if (requested()) return false;
  }
  // Sub-millisecond remainder.
  const auto rest = deadline - std::chrono::steady_clock::now();
  if (rest.count() > 0) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(rest).count();
    ::usleep(static_cast<useconds_t>(us));
  }
  return !requested();
}

}  // namespace memgate::interrupt
