#include "core/model/env_refs.hpp"

namespace memgate {

namespace {
constexpr std::string_view kOpen = "{env:";

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
}  // namespace

std::size_t env_ref_length(std::string_view text, std::size_t at) {
  if (text.substr(at, kOpen.size()) != kOpen) return 0;
  std::size_t i = at + kOpen.size();
  if (i >= text.size() || !is_name_start(text[i])) return 0;
  while (i < text.size() && is_name_char(text[i])) ++i;
  if (i >= text.size() || text[i] != '}') return 0;
  return i + 1 - at;
}

std::vector<std::string> env_ref_names(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (const std::size_t n = env_ref_length(text, i)) {
      names.emplace_back(text.substr(i + kOpen.size(), n - kOpen.size() - 1));
      i += n - 1;
    }
  }
  return names;
}

std::string expand_env_refs(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup,
    std::string* missing) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = env_ref_length(text, i);
    if (n == 0) {
      out += text[i++];
      continue;
    }
    const std::string name(text.substr(i + kOpen.size(), n - kOpen.size() - 1));
    if (const auto value = lookup(name)) {
      out += *value;
    } else {
      if (missing && missing->empty()) *missing = name;
      out += text.substr(i, n);
    }
    i += n;
  }
  return out;
}

}  // namespace memgate
