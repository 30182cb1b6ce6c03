#include "core/model/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "core/model/errors.hpp"

namespace memgate {

using nlohmann::json;

namespace {

// Follows the parser's events to know where it is, so that a duplicate key can be named by its
// JSON pointer. nlohmann_json keeps the last of duplicate keys silently; memgate refuses them.
class DuplicateKeyFinder {
 public:
  explicit DuplicateKeyFinder(KeyOrder* key_order) : key_order_(key_order) {}
  void on_event(json::parse_event_t event, const json& parsed) {
    using E = json::parse_event_t;
    switch (event) {
      case E::object_start:
        frames_.push_back({true, {}, {}, 0, {}});
        break;
      case E::array_start:
        frames_.push_back({false, {}, {}, 0, {}});
        break;
      case E::key: {
        Frame& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second && !duplicate_) duplicate_ = pointer();
        if (key_order_) top.ordered.push_back(top.key);
        break;
      }
      case E::value:
        if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
        break;
      case E::object_end:
      case E::array_end:
        if (key_order_ && event == E::object_end) {
          (*key_order_)[pointer(frames_.size() - 1)] = std::move(frames_.back().ordered);
        }
        frames_.pop_back();
        if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
        break;
    }
  }
  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string key;
    std::size_t index;
    std::vector<std::string> ordered;  // keys in file order
  };
  // The pointer of the value the first `depth` frames lead to (all frames: the current key).
  std::string pointer(std::size_t depth = SIZE_MAX) const {
    std::string out;
    for (std::size_t i = 0; i < std::min(depth, frames_.size()); ++i) {
      const Frame& f = frames_[i];
      out = json_pointer_child(out, f.is_object ? f.key : std::to_string(f.index));
    }
    return out;
  }
  KeyOrder* key_order_;
  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
};

}  // namespace

json parse_json_text(const std::string& text, const std::string& file, int max_depth,
                     KeyOrder* key_order) {
  bool too_deep = false;
  DuplicateKeyFinder duplicates(key_order);
  // The callback sees each value as it is parsed; refusing depth here keeps a hostile file from
  // building a deep tree at all.
  const json::parser_callback_t watch = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > max_depth) too_deep = true;
    if (!too_deep) duplicates.on_event(event, parsed);
    return !too_deep;
  };
  json parsed;
  try {
    parsed = json::parse(text, watch, /*allow_exceptions=*/true);
  } catch (const json::parse_error& e) {
    throw InputError(file, "", fmt::format("not valid JSON (byte {}): {}", e.byte, e.what()),
                     "check the file with `python3 -m json.tool FILE`");
  } catch (const json::exception& e) {
    throw InputError(file, "", fmt::format("not valid JSON: {}", e.what()));
  }
  if (too_deep) {
    throw InputError(file, "", fmt::format("JSON nested deeper than {} levels", max_depth));
  }
  if (const auto& path = duplicates.duplicate()) {
    throw InputError(file, *path, "this key appears twice in its object",
                     "keep one: JSON readers differ on which one wins");
  }
  return parsed;
}

std::string json_pointer_child(const std::string& parent, std::string_view key) {
  std::string out = parent + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

ObjectReader::ObjectReader(const json& value, std::string path, std::string file)
    : value_(value), path_(std::move(path)), file_(std::move(file)) {
  if (!value_.is_object()) {
    throw InputError(file_, path_, fmt::format("expected an object, got {}", value_.type_name()));
  }
}

const json* ObjectReader::lookup(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  const auto it = value_.find(std::string(key));
  return it == value_.end() ? nullptr : &*it;
}

bool ObjectReader::has(std::string_view key) {
  return lookup(key) != nullptr;
}

void ObjectReader::fail(std::string_view key, const std::string& problem,
                        const std::string& hint) const {
  throw InputError(file_, child_path(key), problem, hint);
}

void ObjectReader::fail_here(const std::string& problem, const std::string& hint) const {
  throw InputError(file_, path_, problem, hint);
}

void ObjectReader::fail_type(std::string_view key, const char* expected, const json& got) const {
  fail(key,
       fmt::format("expected {}, got {} {}", expected, got.type_name(), got.dump().substr(0, 60)));
}

namespace {
[[noreturn]] void missing(const ObjectReader& r, std::string_view key, const char* what) {
  r.fail(key, fmt::format("required key '{}' is missing ({})", key, what));
}

std::string describe_range(double min, double max) {
  return fmt::format("from {} to {}", min, max);
}
}  // namespace

std::optional<std::string> ObjectReader::opt_string(std::string_view key) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail_type(key, "a string", *v);
  return v->get<std::string>();
}

std::string ObjectReader::get_string(std::string_view key) {
  auto v = opt_string(key);
  if (!v) missing(*this, key, "a string");
  return *v;
}

std::optional<std::int64_t> ObjectReader::opt_int(std::string_view key, std::int64_t min,
                                                  std::int64_t max) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  const std::string range = fmt::format("a whole number from {} to {}", min, max);
  std::int64_t value = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
      fail(key, fmt::format("expected {}, got {}", range, v->dump()));
    }
    value = v->get<std::int64_t>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    // 2^63 and beyond do not fit: compare against it, not against max converted to double
    // (which rounds INT64_MAX up to 2^63).
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
        d > static_cast<double>(max) || d >= 0x1p63 || d < -0x1p63) {
      fail(key, fmt::format("expected {}, got {}", range, v->dump()));
    }
    value = static_cast<std::int64_t>(d);
  } else {
    fail_type(key, range.c_str(), *v);
  }
  if (value < min || value > max) fail(key, fmt::format("expected {}, got {}", range, value));
  return value;
}

std::int64_t ObjectReader::get_int(std::string_view key, std::int64_t min, std::int64_t max) {
  auto v = opt_int(key, min, max);
  if (!v) missing(*this, key, "a whole number");
  return *v;
}

std::optional<double> ObjectReader::opt_number(std::string_view key, double min, double max) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) fail_type(key, "a number", *v);
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    fail(key, fmt::format("expected a number {}, got {}", describe_range(min, max), v->dump()));
  }
  return d;
}

double ObjectReader::get_number(std::string_view key, double min, double max) {
  auto v = opt_number(key, min, max);
  if (!v) missing(*this, key, "a number");
  return *v;
}

std::optional<bool> ObjectReader::opt_bool(std::string_view key) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail_type(key, "true or false", *v);
  return v->get<bool>();
}

std::optional<std::string> ObjectReader::opt_enum(std::string_view key,
                                                  const std::vector<std::string>& choices) {
  auto v = opt_string(key);
  if (!v) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *v) == choices.end()) {
    const auto guess = closest_word(*v, choices);
    fail(key, fmt::format("'{}' is not one of: {}", *v, fmt::join(choices, ", ")),
         guess ? fmt::format("did you mean '{}'?", *guess) : std::string{});
  }
  return v;
}

std::string ObjectReader::get_enum(std::string_view key, const std::vector<std::string>& choices) {
  auto v = opt_enum(key, choices);
  if (!v) {
    missing(*this, key, fmt::format("one of: {}", fmt::join(choices, ", ")).c_str());
  }
  return *v;
}

std::optional<ObjectReader> ObjectReader::opt_object(std::string_view key) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail_type(key, "an object", *v);
  return ObjectReader(*v, child_path(key), file_);
}

ObjectReader ObjectReader::get_object(std::string_view key) {
  auto v = opt_object(key);
  if (!v) missing(*this, key, "an object");
  return std::move(*v);
}

std::vector<ObjectReader> ObjectReader::get_object_array(std::string_view key) {
  const json* v = lookup(key);
  if (!v) missing(*this, key, "an array of objects");
  if (!v->is_array()) fail_type(key, "an array of objects", *v);
  std::vector<ObjectReader> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& item = (*v)[i];
    const std::string path = json_pointer_child(child_path(key), std::to_string(i));
    if (!item.is_object()) {
      throw InputError(file_, path, fmt::format("expected an object, got {}", item.type_name()));
    }
    out.emplace_back(item, path, file_);
  }
  return out;
}

std::optional<std::vector<std::string>> ObjectReader::opt_string_array(std::string_view key,
                                                                       std::size_t min_items,
                                                                       std::size_t max_items) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) fail_type(key, "an array of strings", *v);
  if (v->size() < min_items || v->size() > max_items) {
    fail(key, fmt::format("expected {} to {} items, got {}", min_items, max_items, v->size()));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& item = (*v)[i];
    if (!item.is_string()) {
      throw InputError(file_, json_pointer_child(child_path(key), std::to_string(i)),
                       fmt::format("expected a string, got {}", item.type_name()));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::map<std::string, std::string>> ObjectReader::opt_string_map(
    std::string_view key) {
  const json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail_type(key, "an object of strings", *v);
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->items()) {
    if (!item.is_string()) {
      throw InputError(file_, json_pointer_child(child_path(key), k),
                       fmt::format("expected a string, got {}", item.type_name()));
    }
    out[k] = item.get<std::string>();
  }
  return out;
}

const json* ObjectReader::opt_raw(std::string_view key) {
  return lookup(key);
}

namespace {
// "$comment": a note for people (JSON has no comments), a string or an array of strings.
bool is_comment(const std::string& key, const nlohmann::json& value) {
  if (key != kCommentKey) return false;
  if (value.is_string()) return true;
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); });
}
}  // namespace

std::vector<std::string> ObjectReader::keys() const {
  std::vector<std::string> out;
  for (const auto& item : value_.items()) {
    if (!is_comment(item.key(), item.value())) out.push_back(item.key());
  }
  return out;
}

void ObjectReader::reject_unknown_keys() const {
  for (const auto& item : value_.items()) {
    if (std::find(known_.begin(), known_.end(), item.key()) != known_.end()) continue;
    if (is_comment(item.key(), item.value())) continue;
    const auto guess = closest_word(item.key(), known_);
    std::vector<std::string> sorted = known_;
    std::sort(sorted.begin(), sorted.end());
    fail(item.key(), fmt::format("unknown key '{}'", item.key()),
         guess ? fmt::format("did you mean '{}'?", *guess)
               : fmt::format("known keys here: {}", fmt::join(sorted, ", ")));
  }
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::optional<std::string> closest_word(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  if (word.size() > 200) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // A likely typo: at most two edits or a third of the word...
  if (best && best_distance <= std::max<std::size_t>(2, word.size() / 3)) return best;
  // ... or a shortened name ("peak" for "peak_bytes").
  if (word.size() >= 3) {
    for (const auto& candidate : candidates) {
      if (candidate.rfind(word, 0) == 0) return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace memgate
