#pragma once

// What both Redis drivers send: RESP-formatted commands, prepared once, and payloads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// One command in RESP ("*2\r\n$4\r\nLLEN\r\n$4\r\njobs\r\n"), binary-safe.
std::string resp_command(const std::vector<std::string>& argv);

// "LPUSH key" in RESP, the part of an LPUSH that is the same for every value (made once).
std::string lpush_prefix(const std::string& key);

// Appends LPUSH key value in RESP to out: the prefix of lpush_prefix(key), then the value.
void append_lpush(std::string& out, const std::string& prefix, std::string_view value);

// `bytes` letters and digits that look like data, not one repeated byte (the same every time).
std::string make_payload(int bytes);

}  // namespace memgate
