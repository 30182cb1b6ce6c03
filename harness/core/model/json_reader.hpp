#pragma once

// Typed, path-tracking access to one JSON object, for files memgate reads (scenarios, baselines,
// reports). Every failure is an InputError naming the file, the JSON path (RFC 6901) and what was
// expected. Keys asked for are remembered, so reject_unknown_keys() can name a typo and suggest the
// closest known key: a typo must never silently change a run.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// A note for people in an object of fixed keys (JSON has no comments): ignored by readers.
inline constexpr const char* kCommentKey = "$comment";

// The keys of every object of a document in file order, by the object's JSON pointer
// (nlohmann::json keeps keys sorted; a scenario's services start in file order).
using KeyOrder = std::map<std::string, std::vector<std::string>>;

// Parses JSON text; syntax errors, nesting deeper than max_depth and invalid UTF-8 become an
// InputError naming the file (and the byte offset where the parser stopped). key_order, when
// given, receives the order of every object's keys.
nlohmann::json parse_json_text(const std::string& text, const std::string& file, int max_depth = 64,
                               KeyOrder* key_order = nullptr);

// "/a/b" + "c~d" -> "/a/b/c~0d" (RFC 6901 escaping).
std::string json_pointer_child(const std::string& parent, std::string_view key);

class ObjectReader {
 public:
  // Throws InputError when value is not an object.
  ObjectReader(const nlohmann::json& value, std::string path, std::string file);

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  std::string child_path(std::string_view key) const { return json_pointer_child(path_, key); }
  bool has(std::string_view key);  // also marks the key as known

  // Required values: a missing key is an error. Ranges are inclusive.
  std::string get_string(std::string_view key);
  std::int64_t get_int(std::string_view key, std::int64_t min, std::int64_t max);
  double get_number(std::string_view key, double min, double max);
  std::string get_enum(std::string_view key, const std::vector<std::string>& choices);
  ObjectReader get_object(std::string_view key);
  // A required array of objects: a reader for each item (path KEY/0, KEY/1, ...).
  std::vector<ObjectReader> get_object_array(std::string_view key);

  // Optional values: nullopt when the key is absent (null is a type error, not "absent").
  std::optional<std::string> opt_string(std::string_view key);
  std::optional<std::int64_t> opt_int(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> opt_number(std::string_view key, double min, double max);
  std::optional<bool> opt_bool(std::string_view key);
  std::optional<std::string> opt_enum(std::string_view key,
                                      const std::vector<std::string>& choices);
  std::optional<ObjectReader> opt_object(std::string_view key);
  std::optional<std::vector<std::string>> opt_string_array(std::string_view key,
                                                           std::size_t min_items,
                                                           std::size_t max_items);
  std::optional<std::map<std::string, std::string>> opt_string_map(std::string_view key);
  const nlohmann::json* opt_raw(std::string_view key);  // any type; marks the key as known

  // Keys of this object, for objects whose keys are data (e.g. gate metrics): sorted (as
  // nlohmann::json keeps them), not in file order (see KeyOrder for that).
  std::vector<std::string> keys() const;

  [[noreturn]] void fail(std::string_view key, const std::string& problem,
                         const std::string& hint = {}) const;
  [[noreturn]] void fail_here(const std::string& problem, const std::string& hint = {}) const;

  // Throws InputError for the first key present in the object that no accessor asked for, but
  // "$comment" (a string or an array of strings: a note for people). keys() leaves it out too.
  void reject_unknown_keys() const;

 private:
  const nlohmann::json* lookup(std::string_view key);
  [[noreturn]] void fail_type(std::string_view key, const char* expected,
                              const nlohmann::json& got) const;

  const nlohmann::json& value_;
  std::string path_;
  std::string file_;
  std::vector<std::string> known_;
};

// The closest of candidates to word by edit distance, if close enough to be a likely typo.
std::optional<std::string> closest_word(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace memgate
