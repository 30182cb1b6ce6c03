#pragma once

#include <cstdint>
#include <string>

namespace memgate {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

// "512 B", "12.3 KiB", "1.50 MiB", "2.00 GiB": binary units, 3 significant digits.
// Negative values keep their sign ("-4.00 MiB").
std::string format_bytes(double bytes);

// "1.23 ms", "850 µs", "2.5 s".
std::string format_duration_ms(double ms);

}  // namespace memgate
