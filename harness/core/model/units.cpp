#include "core/model/units.hpp"

#include <fmt/format.h>

#include <cmath>

namespace memgate {

std::string format_bytes(double bytes) {
  const double magnitude = std::fabs(bytes);
  const char* sign = bytes < 0 ? "-" : "";
  if (magnitude < kKiB) return fmt::format("{}{:.0f} B", sign, magnitude);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = magnitude / kKiB;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return fmt::format("{}{:.{}f} {}", sign, value, decimals, kUnits[unit]);
}

std::string format_bytes_fine(double bytes) {
  const double magnitude = std::fabs(bytes);
  if (magnitude >= kKiB || magnitude == 0) return format_bytes(bytes);
  const int decimals = magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0;
  return fmt::format("{}{:.{}f} B", bytes < 0 ? "-" : "", magnitude, decimals);
}

std::string format_duration_ms(double ms) {
  if (std::fabs(ms) < 1) return fmt::format("{:.0f} µs", ms * 1000);
  if (std::fabs(ms) < 1000) return fmt::format("{:.3g} ms", ms);
  return fmt::format("{:.3g} s", ms / 1000);
}

}  // namespace memgate
