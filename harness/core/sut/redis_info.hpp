#pragma once

// Redis INFO text ("# Memory\r\nused_memory:1234\r\n...") -> fields. Pure.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace memgate {

using RedisInfo = std::map<std::string, std::string, std::less<>>;

// Every "key:value" line; section headers and blank lines are skipped.
RedisInfo parse_redis_info(std::string_view text);

std::optional<double> info_number(const RedisInfo& info, std::string_view key);

// "cmdstat_lpush" -> calls, from "calls=12,usec=..." ; nullopt when the command never ran.
std::optional<std::int64_t> info_command_calls(const RedisInfo& info, std::string_view command);

}  // namespace memgate
