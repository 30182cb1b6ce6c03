#pragma once

#include <string>

namespace memgate::net {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
// Another process may take it before the SUT does; the SUT then fails to start and the run says
// so. Throws RunError when no socket can be bound.
int free_loopback_port();

// True when a TCP connection to host:port succeeds within timeout_ms. Never throws.
bool tcp_connects(const std::string& host, int port, int timeout_ms);

}  // namespace memgate::net
