#pragma once

// Counts the entries of the array at a JSON pointer in a JSON text, checking that the whole text
// is JSON (RFC 8259, UTF-8, a leading BOM skipped; at most 10000 levels deep) without building
// the document or converting a single number: an
// embedding service's answer is thousands of floats, and the load generator shares the machine
// with the SUT. (nlohmann's SAX parser converts every number: 4x the CPU of this scanner on a
// 64x64 answer.) tests/fuzz/fuzz_json_count.cpp checks it against nlohmann::json.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

class JsonArrayCounter {
 public:
  // pointer: a valid RFC 6901 pointer ("" is the whole document). Throws nlohmann's
  // json::parse_error otherwise (the scenario parser has checked it).
  explicit JsonArrayCounter(const std::string& pointer);

  struct Result {
    std::optional<std::size_t> entries;  // empty when the text breaks the expectation
    std::string problem;                 // why: not JSON, no value there, not an array
  };
  Result count(std::string_view json_text) const;

 private:
  std::string pointer_;
  std::vector<std::string> tokens_;  // unescaped, root first
};

}  // namespace memgate
