#include "core/model/json_array_count.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/texts/text_source.hpp"

namespace memgate {

namespace {

constexpr std::size_t kMaxDepth = 10'000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// One pass over the text. Containers on the way are kept on a stack; the target is the value
// whose path from the root is `tokens`. Once the target array opens, each value directly
// inside it counts.
class Scanner {
 public:
  Scanner(std::string_view text, const std::vector<std::string>& tokens)
      : p_(text.data()), begin_(text.data()), end_(text.data() + text.size()), tokens_(tokens) {}

  enum class Found { nothing, not_array, array } found = Found::nothing;
  const char* found_type = "";
  std::size_t entries = 0;
  std::optional<std::size_t> error_at;  // byte offset where the text stopped being JSON
  bool too_deep = false;                // nested deeper than kMaxDepth

  void run() {
    if (!scan()) error_at = static_cast<std::size_t>(p_ - begin_);
  }

 private:
  struct Frame {
    bool array = false;
    bool on_path = false;  // the path from the root to this container is a prefix of tokens
    std::size_t index = 0;
    std::string key;  // objects: the current member's key, when on_path (else unused)
  };

  void skip_space() {
    while (p_ < end_ && is_space(*p_)) ++p_;
  }

  bool at(char c) const { return p_ < end_ && *p_ == c; }

  // Whether the value starting now (a child of the top frame, or the root) lies on the path.
  bool starting_on_path() const {
    const std::size_t depth = stack_.size();
    if (depth > tokens_.size()) return false;
    if (depth == 0) return true;
    const Frame& parent = stack_.back();
    if (!parent.on_path) return false;
    const std::string& token = tokens_[depth - 1];
    return parent.array ? token == std::to_string(parent.index) : token == parent.key;
  }

  // A value starts at p_: counts it when it sits directly in the target array, notes the
  // target. Returns whether the value is on the path.
  bool starting(char first) {
    if (counting_ && stack_.size() == target_depth_ + 1) ++entries;
    const bool on_path = starting_on_path();
    if (on_path) {
      // A key given twice: the last one counts, as in a parsed document.
      found = Found::nothing;
      entries = 0;
    }
    if (on_path && stack_.size() == tokens_.size()) {
      found = first == '[' ? Found::array : Found::not_array;
      found_type = first == '{' ? "an object" : first == '"' ? "a string" : "a scalar";
    }
    return on_path;
  }

  // A string at p_ (on the opening quote). Checks escapes (surrogates paired) and control
  // characters; UTF-8 is checked for the whole text beforehand. With out, the unescaped text.
  bool string(std::string* out) {
    ++p_;
    while (p_ < end_) {
      const char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) *out += c;
        ++p_;
        continue;
      }
      if (++p_ >= end_) return false;
      const char e = *p_++;
      static constexpr std::string_view kSimple = "\"\\/bfnrt";
      static constexpr std::string_view kMeaning = "\"\\/\b\f\n\r\t";
      if (const auto k = kSimple.find(e); k != std::string_view::npos) {
        if (out) *out += kMeaning[k];
        continue;
      }
      if (e != 'u') return false;
      unsigned code = 0;
      if (!hex4(code)) return false;
      if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a low surrogate first
      if (code >= 0xD800 && code <= 0xDBFF) {
        unsigned low = 0;
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
        p_ += 2;
        if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      }
      if (out) append_utf8(*out, code);
    }
    return false;
  }

  bool hex4(unsigned& code) {
    if (end_ - p_ < 4) return false;
    for (int i = 0; i < 4; ++i) {
      const int v = hex_value(*p_++);
      if (v < 0) return false;
      code = code * 16 + static_cast<unsigned>(v);
    }
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    return p_ > start;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() {
    if (at('-')) ++p_;
    if (at('0')) {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (at('.')) {
      ++p_;
      if (!digits()) return false;
    }
    if (at('e') || at('E')) {
      ++p_;
      if (at('+') || at('-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // An object member's key and colon, at p_ (after '{' or ','), into the top frame.
  bool member_key() {
    skip_space();
    if (!at('"')) return false;
    Frame& top = stack_.back();
    top.key.clear();
    if (!string(top.on_path ? &top.key : nullptr)) return false;
    skip_space();
    if (!at(':')) return false;
    ++p_;
    return true;
  }

  // The value at p_. A scalar is read whole; a container is opened (and closed at once when
  // empty): otherwise entered_ says its first entry (after the key, in an object) comes next.
  bool value() {
    entered_ = false;
    skip_space();
    if (p_ >= end_) return false;
    const char c = *p_;
    const bool on_path = starting(c);
    if (c == '{' || c == '[') {
      if (stack_.size() >= kMaxDepth) {
        too_deep = true;
        return false;
      }
      const bool array = c == '[';
      if (on_path && array && stack_.size() == tokens_.size()) {
        counting_ = true;
        target_depth_ = stack_.size();
      }
      stack_.push_back(Frame{array, on_path && stack_.size() < tokens_.size(), 0, {}});
      ++p_;
      skip_space();
      if (at(array ? ']' : '}')) {
        close();
        return true;
      }
      entered_ = true;
      return array || member_key();
    }
    if (c == '"') return string(nullptr);
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return number();
  }

  void close() {
    ++p_;
    stack_.pop_back();
    if (counting_ && stack_.size() == target_depth_) counting_ = false;
  }

  bool scan() {
    if (!value()) return false;
    while (!stack_.empty()) {
      if (entered_) {
        if (!value()) return false;
        continue;
      }
      skip_space();
      Frame& top = stack_.back();
      if (at(',')) {
        ++p_;
        if (top.array) {
          ++top.index;
        } else if (!member_key()) {
          return false;
        }
        if (!value()) return false;
        continue;
      }
      if (!at(top.array ? ']' : '}')) return false;
      close();
    }
    skip_space();
    return p_ == end_;
  }

  const char* p_;
  const char* begin_;
  const char* end_;
  const std::vector<std::string>& tokens_;
  std::vector<Frame> stack_;
  bool counting_ = false;
  std::size_t target_depth_ = 0;
  bool entered_ = false;
};

}  // namespace

JsonArrayCounter::JsonArrayCounter(const std::string& pointer) : pointer_(pointer) {
  for (nlohmann::json::json_pointer p(pointer); !p.empty(); p = p.parent_pointer()) {
    tokens_.push_back(p.back());
  }
  std::reverse(tokens_.begin(), tokens_.end());
}

JsonArrayCounter::Result JsonArrayCounter::count(std::string_view json_text) const {
  Result r;
  if (!is_valid_utf8(json_text)) {
    r.problem = "the body is not JSON (not UTF-8)";
    return r;
  }
  if (json_text.substr(0, 3) == "\xEF\xBB\xBF") json_text.remove_prefix(3);  // a UTF-8 BOM
  Scanner scanner(json_text, tokens_);
  scanner.run();
  if (scanner.too_deep) {
    r.problem = fmt::format("the body nests deeper than {} levels", kMaxDepth);
  } else if (scanner.error_at) {
    r.problem = fmt::format("the body is not JSON (byte {})", *scanner.error_at);
  } else if (scanner.found == Scanner::Found::nothing) {
    r.problem = fmt::format("the body has no value at '{}'", pointer_);
  } else if (scanner.found == Scanner::Found::not_array) {
    r.problem = fmt::format("the value at '{}' is {}, not an array", pointer_, scanner.found_type);
  } else {
    r.entries = scanner.entries;
  }
  return r;
}

}  // namespace memgate
