#include "runtime/drivers/redis_protocol.hpp"

#include <fmt/format.h>

#include <charconv>

namespace memgate {

std::string resp_command(const std::vector<std::string>& argv) {
  std::string out = fmt::format("*{}\r\n", argv.size());
  for (const auto& a : argv) out += fmt::format("${}\r\n{}\r\n", a.size(), a);
  return out;
}

std::string lpush_prefix(const std::string& key) {
  return fmt::format("*3\r\n$5\r\nLPUSH\r\n${}\r\n{}\r\n", key.size(), key);
}

void append_lpush(std::string& out, const std::string& prefix, std::string_view value) {
  char length[24];
  const auto [end, ec] = std::to_chars(length, length + sizeof length, value.size());
  out += prefix;
  out += '$';
  out.append(length, end);
  out += "\r\n";
  out += value;
  out += "\r\n";
}

std::string make_payload(int bytes) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string payload(static_cast<std::size_t>(bytes), 'x');
  std::uint32_t state = 2463534242u;  // xorshift32
  for (char& c : payload) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = kAlphabet[state % (sizeof kAlphabet - 1)];
  }
  return payload;
}

}  // namespace memgate
