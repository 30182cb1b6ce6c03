#pragma once

// memgate's answer to SIGINT and SIGTERM. The handlers only record the signal and wake waiters;
// the run then stops its load, stops the SUT tree and writes what it has. Every long wait in
// memgate goes through sleep_for() or watches wake_fd(), so an interrupt ends it at once.

namespace memgate::interrupt {

// Installs the handlers (SIGINT, SIGTERM) and ignores SIGPIPE, so that a write to a SUT that
// died is an error (EPIPE) instead of killing memgate. Idempotent.
void install();

// The first signal received, 0 when none.
int signal_number();
bool requested();

// How many interrupt signals arrived (a second Ctrl-C shortens the SUT's stop grace to nothing).
int count();

// Sleeps up to ms, or less when an interrupt arrives. Returns false when interrupted.
bool sleep_for(double ms);

// A file descriptor that becomes readable when an interrupt arrives (for poll()).
int wake_fd();

// For tests: act as if sig arrived / forget it.
void simulate(int sig);
void reset();

}  // namespace memgate::interrupt
