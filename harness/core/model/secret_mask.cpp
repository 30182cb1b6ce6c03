#include "core/model/secret_mask.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace memgate::secrets {

namespace {

struct Form {
  std::string text;         // how the secret reads in some output
  std::string replacement;  // "{env:NAME}"
};

struct Registry {
  std::shared_mutex mutex;
  std::vector<Form> forms;  // every form of every secret, longest first
  std::atomic<bool> any{false};
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string json_escaped(const std::string& value) {
  const std::string quoted =
      nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

std::string with_escaped_slashes(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '/' ? std::string("\\/") : std::string(1, c);
  return out;
}

// As xml_escape (core/report/xml_writer) writes it; xml_escape masks before it escapes, this form
// is for XML-escaped text from elsewhere (a server's answer).
std::string xml_escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string percent_encoded(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// Replaces every form in text (longest first, so that a form holding another goes whole).
// Returns whether anything changed.
bool replace_forms(std::string& text, const std::vector<Form>& forms) {
  bool changed = false;
  for (const auto& form : forms) {
    for (std::size_t at = text.find(form.text); at != std::string::npos;
         at = text.find(form.text, at + form.replacement.size())) {
      text.replace(at, form.text.size(), form.replacement);
      changed = true;
    }
  }
  return changed;
}

}  // namespace

void add(const std::string& name, const std::string& value) {
  if (value.size() < kMinSecretBytes) return;
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  const std::string replacement = "{env:" + name + "}";
  const std::string json = json_escaped(value);
  for (const std::string& form :
       {value, json, with_escaped_slashes(json), xml_escaped(value), percent_encoded(value)}) {
    const bool known =
        std::any_of(r.forms.begin(), r.forms.end(), [&](const Form& f) { return f.text == form; });
    if (!known) r.forms.push_back({form, replacement});
  }
  const auto longer = [](const Form& a, const Form& b) { return a.text.size() > b.text.size(); };
  std::stable_sort(r.forms.begin(), r.forms.end(), longer);
  r.any = true;
}

bool any() {
  return registry().any.load();
}

std::string mask(std::string_view text) {
  std::string out(text);
  if (!any()) return out;
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  replace_forms(out, r.forms);
  return out;
}

std::string mask_json(std::string_view text) {
  if (!any()) return std::string(text);
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '"') {
      out += text[i++];
      continue;
    }
    // A string literal: up to the next quote that no backslash escapes.
    std::size_t end = i + 1;
    bool escaped = false;
    while (end < text.size() && text[end] != '"') {
      escaped = escaped || text[end] == '\\';
      end += text[end] == '\\' ? 2 : 1;
    }
    if (end >= text.size()) {  // not JSON after all: mask it as text
      std::string rest(text.substr(i));
      replace_forms(rest, r.forms);
      return out + rest;
    }
    const std::string_view literal = text.substr(i, end + 1 - i);
    if (!escaped) {
      // Without a backslash, the literal's inside is the text itself.
      std::string inside(literal.substr(1, literal.size() - 2));
      replace_forms(inside, r.forms);
      out += '"';
      out += inside;
      out += '"';
    } else {
      // Decode, mask, encode again only when a secret was there: byte for byte otherwise.
      const auto decoded = nlohmann::json::parse(literal, nullptr, false);
      std::string value = decoded.is_string() ? decoded.get<std::string>() : std::string();
      if (decoded.is_string() && replace_forms(value, r.forms)) {
        out += nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        out += literal;
      }
    }
    i = end + 1;
  }
  return out;
}

std::size_t longest_form_bytes() {
  if (!any()) return 0;
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  return r.forms.empty() ? 0 : r.forms.front().text.size();
}

void clear() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  r.forms.clear();
  r.any = false;
}

}  // namespace memgate::secrets
