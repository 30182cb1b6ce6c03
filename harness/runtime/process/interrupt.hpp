#pragma once

// memgate's answer to SIGINT, SIGTERM, SIGHUP and SIGQUIT. The handlers only record the signal
// and wake waiters;
// the run then stops its load, stops the SUT tree and writes what it has. Every long wait in
// memgate goes through sleep_for() or watches wake_fd(), so an interrupt ends it at once.

namespace memgate::interrupt {

// Installs the handlers (SIGINT, SIGTERM, SIGHUP, SIGQUIT) and ignores SIGPIPE, so that a write
// to a SUT that died is an error (EPIPE) instead of killing memgate. Idempotent. (SIGKILL cannot
// be handled: the kernel then kills the SUT's root process (PR_SET_PDEATHSIG); descendants in a
// memory cgroup are killed by the next memgate run, see CgroupPeak.)
void install();

// Blocks the interrupt signals in the calling thread, so that they reach a thread that waits
// for them (memgate's helper threads call this first).
void block_in_this_thread();

// The first signal received, 0 when none.
int signal_number();
bool requested();

// How many interrupt signals arrived (a second Ctrl-C shortens the SUT's stop grace to nothing).
int count();

// Sleeps up to ms, or less when an interrupt arrives. Returns false when interrupted.
bool sleep_for(double ms);

// A file descriptor that becomes readable when an interrupt arrives (for poll()).
int wake_fd();

}  // namespace memgate::interrupt
