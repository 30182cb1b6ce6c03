#pragma once

// The event loop of the Redis drivers: one thread drives several hiredis connections that send
// pipelined commands and await their replies. Every round the driver sends what is due and names
// the connections that await replies (Round::await); the loop waits with ppoll (a nanosecond
// timeout: poll's milliseconds would round a wait of 0.4 ms to 0, a spin) and hands each readable
// one back to the driver.

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace memgate {

class ReplyLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // What one round waits for, and until when.
  class Round {
   public:
    Clock::time_point now;
    bool going = true;       // still sending; false: only the replies in flight are awaited
    Clock::time_point wake;  // when the round ends without a reply: 10 ms ahead, or sooner
    // Waits for fd to be readable; then read(tag) is called.
    void await(int fd, std::size_t tag);
    bool awaiting() const { return !fds_.empty(); }

   private:
    friend class ReplyLoop;
    std::vector<pollfd> fds_;
    std::vector<std::size_t> tags_;
  };

  enum class End {
    done,         // fill() said nothing is left
    stalled,      // replies awaited did not come within drain_timeout of stopping
    poll_failed,  // ppoll failed (Result::error says why)
  };
  struct Result {
    End end = End::done;
    int error = 0;  // poll_failed: ppoll's errno
  };

  struct Hooks {
    std::function<bool()> going;  // false once the load stops (stop, deadline, a failure)
    // Stop waiting for the replies in flight at once (a lost connection), not after drain_timeout.
    std::function<bool()> give_up = [] { return false; };
    // Sends what is due, awaits the connections with replies in flight; false: nothing is left.
    std::function<bool(Round&)> fill;
    // Reads what tag's connection received; false ends this round's reading (a lost connection).
    std::function<bool(std::size_t tag)> read;
  };

  // Runs rounds until fill() says nothing is left, the replies stall for drain_timeout after
  // going() turned false, or ppoll fails.
  static Result run(const Hooks& hooks, Clock::duration drain_timeout);
};

}  // namespace memgate
