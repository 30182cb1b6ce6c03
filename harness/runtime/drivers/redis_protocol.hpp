#pragma once

// What both Redis drivers send: RESP-formatted commands, prepared once, and payloads.

#include <cstdint>
#include <string>
#include <vector>

namespace memgate {

// One command in RESP ("*2\r\n$4\r\nLLEN\r\n$4\r\njobs\r\n"), binary-safe.
std::string resp_command(const std::vector<std::string>& argv);

// Appends LPUSH key value in RESP to out (no temporary argv).
void append_lpush(std::string& out, const std::string& key, const std::string& value);

// `bytes` letters and digits that look like data, not one repeated byte (the same every time).
std::string make_payload(int bytes);

}  // namespace memgate
