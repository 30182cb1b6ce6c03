#include "core/sut/redis_info.hpp"

#include <charconv>
#include <cstdlib>

namespace memgate {

RedisInfo parse_redis_info(std::string_view text) {
  RedisInfo info;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    info.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  return info;
}

std::optional<double> info_number(const RedisInfo& info, std::string_view key) {
  const auto it = info.find(key);
  if (it == info.end()) return std::nullopt;
  const std::string& text = it->second;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return value;
}

std::optional<std::int64_t> info_command_calls(const RedisInfo& info, std::string_view command) {
  const auto it = info.find("cmdstat_" + std::string(command));
  if (it == info.end()) return std::nullopt;
  const std::string_view stats = it->second;
  const auto at = stats.find("calls=");
  if (at == std::string_view::npos) return std::nullopt;
  const auto digits = stats.substr(at + 6);
  std::int64_t calls = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), calls);
  if (ec != std::errc{} || ptr == digits.data()) return std::nullopt;
  return calls;
}

}  // namespace memgate
