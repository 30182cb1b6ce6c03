#include "core/model/errors.hpp"

#include <fmt/format.h>

namespace memgate {

namespace {

constexpr std::size_t kMaxEchoBytes = 2000;

// Length of the valid UTF-8 sequence at text[i] (1-4), or 0 when the bytes there are not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  const std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) >> 6) != 0x2) return 0;
  }
  return n;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && out.size() < max_bytes;) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f) {
      out += fmt::format("\\x{:02x}", b);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  if (out.size() >= max_bytes) out += " [...]";
  return out;
}

namespace {

std::string describe(const std::string& file, const std::string& json_path,
                     const std::string& problem) {
  return fmt::format("{}: {}{}",
                     file.empty() ? std::string("<input>") : printable(file, kMaxEchoBytes),
                     json_path.empty() ? std::string() : printable(json_path, kMaxEchoBytes) + ": ",
                     printable(problem, kMaxEchoBytes));
}

}  // namespace

InputError::InputError(std::string file, std::string json_path, const std::string& problem,
                       std::string hint)
    : Error(ExitCode::bad_input, describe(file, json_path, problem), std::move(hint)),
      file_(std::move(file)),
      json_path_(std::move(json_path)),
      problem_(problem) {}

}  // namespace memgate
