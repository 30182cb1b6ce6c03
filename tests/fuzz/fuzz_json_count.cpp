// Fuzzes JsonArrayCounter (core/model/json_array_count), the scanner that checks an HTTP answer
// holds one entry per text, against nlohmann::json as the reference. An input is a JSON pointer
// on its first line, then the JSON text.
//
// Properties: when nlohmann parses the text, the scanner accepts it and agrees on what is at the
// pointer (nothing, not an array, an array of N entries: duplicate keys count as the last one);
// when nlohmann refuses it, the scanner refuses it too (but for numbers nlohmann cannot hold in a
// double, such as 1e400, which the scanner never converts). A NUL byte is never JSON (nlohmann
// reads it as the end of the input). ASan/UBSan report memory errors.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/model/json_array_count.hpp"
#include "fuzz_support.hpp"

namespace {

using memgate::fuzz::fail;
using nlohmann::json;

// The scanner's verdicts, by the start of its problem (the rest may quote the pointer).
bool starts(const std::string& problem, const char* prefix) {
  return problem.rfind(prefix, 0) == 0;
}
bool not_json(const std::string& p) {
  return starts(p, "the body is not JSON");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = memgate::fuzz::as_text(data, size);
  const auto eol = input.find('\n');
  if (eol == std::string::npos) return 0;
  const std::string pointer = input.substr(0, eol);
  const std::string text = input.substr(eol + 1);
  std::optional<json::json_pointer> parsed_pointer;
  try {
    parsed_pointer.emplace(pointer);
  } catch (const json::exception&) {
    return 0;  // the scenario parser refuses such a pointer
  }
  const memgate::JsonArrayCounter counter(pointer);
  const auto got = counter.count(text);
  if (text.find('\0') != std::string::npos) {
    // Never JSON (a control character in a string, or no token outside one); nlohmann would
    // take the NUL for the end of the input, so it is no reference here.
    if (got.entries || !not_json(got.problem)) {
      fail("a text with a NUL byte is taken for JSON", got.problem);
    }
    return 0;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::out_of_range&) {
    return 0;  // a number out of a double's range: the scanner does not convert numbers
  } catch (const json::parse_error&) {
    if (got.entries || !not_json(got.problem)) {
      fail("nlohmann refuses the text, the scanner does not", got.problem);
    }
    return 0;
  }
  if (starts(got.problem, "the body nests deeper")) return 0;  // the scanner's limit
  if (not_json(got.problem)) {
    fail("nlohmann parses the text, the scanner refuses it", got.problem);
  }
  bool present = false;
  try {
    present = doc.contains(*parsed_pointer);
  } catch (const json::out_of_range&) {
    present = false;  // nlohmann 3.11 throws for some tokens on arrays ("", "01"): no such value
  }
  if (!present) {
    if (got.entries || !starts(got.problem, "the body has no value at")) {
      fail("nothing is at the pointer, the scanner says otherwise", got.problem);
    }
    return 0;
  }
  const json& target = doc.at(*parsed_pointer);
  if (!target.is_array()) {
    if (got.entries || !starts(got.problem, "the value at")) {
      fail("the value at the pointer is not an array, the scanner says otherwise", got.problem);
    }
    return 0;
  }
  if (!got.entries || *got.entries != target.size()) {
    fail("the scanner counts other entries than the array holds",
         std::to_string(target.size()) + " in the document; scanner: " +
             (got.entries ? std::to_string(*got.entries) : got.problem));
  }
  return 0;
}
