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
// As format_bytes, with 3 significant digits below 1 KiB ("2.73 B", "41.5 B"): for bytes per unit
// of work, where a fraction of a byte per operation is thousands of bytes over a sweep.
std::string format_bytes_fine(double bytes);

// "1.23 ms", "850 µs", "2.5 s".
std::string format_duration_ms(double ms);

}  // namespace memgate
