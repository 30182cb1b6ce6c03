#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace memgate::cli {

// Now, as "2026-11-21T07:42:00Z" (the core reads no clock: the CLI injects this).
inline std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace memgate::cli
