#include "core/scenario/placeholders.hpp"

#include <fmt/format.h>

#include "core/model/env_refs.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"

namespace memgate {

using nlohmann::json;

namespace {

constexpr std::string_view kHeadersPath = "/driver/request/headers/";
constexpr std::string_view kLoadCommandPath = "/driver/command/";
constexpr const char* kKnown =
    "placeholders are {port}, {port:NAME}, {run_dir}, {bindir} and {scenario_dir}";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}
bool is_port_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Calls on_text(literal) and on_placeholder(name, argument) for the parts of text, in order.
// "{port:redis}" is ("port", "redis"); "{port}" is ("port", "").
template <typename OnText, typename OnPlaceholder>
void scan(const std::string& text, const std::string& file, const std::string& path,
          OnText&& on_text, OnPlaceholder&& on_placeholder) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") == 0) {  // an escaped, literal brace
      on_text('{');
      i += 2;
      continue;
    }
    if (text[i] != '{') {
      on_text(text[i++]);
      continue;
    }
    if (const std::size_t n = env_ref_length(text, i)) {  // {env:NAME}: kept for the run
      on_placeholder("env", text.substr(i + 5, n - 6));
      i += n;
      continue;
    }
    std::size_t j = i + 1;
    while (j < text.size() && is_name_char(text[j])) ++j;
    const std::string name = text.substr(i + 1, j - i - 1);
    std::string argument;
    if (name == "port" && j < text.size() && text[j] == ':') {
      std::size_t k = j + 1;
      while (k < text.size() && is_port_name_char(text[k])) ++k;
      argument = text.substr(j + 1, k - j - 1);
      if (argument.empty() || k >= text.size() || text[k] != '}') {
        throw InputError(file, path, "'{port:' must be followed by a name and '}'",
                         "names are lowercase letters, digits, '_' and '-': {port:redis}");
      }
      j = k;
    }
    if (j == i + 1 || j >= text.size() || text[j] != '}') {
      on_text(text[i++]);  // not a placeholder: a literal brace
      continue;
    }
    on_placeholder(name, argument);
    i = j + 1;
  }
}

json expand(const json& node, const PlaceholderValues& values, const std::string& file,
            const std::string& path) {
  if (is_verbatim_path(path)) return node;
  if (node.is_string()) return expand_text(node.get<std::string>(), values, file, path);
  if (node.is_object()) {
    json out = json::object();
    for (const auto& [key, child] : node.items()) {
      // A "$comment" is a note for people: its braces are text.
      out[key] =
          key == kCommentKey ? child : expand(child, values, file, json_pointer_child(path, key));
    }
    return out;
  }
  if (node.is_array()) {
    json out = json::array();
    for (std::size_t i = 0; i < node.size(); ++i) {
      out.push_back(expand(node[i], values, file, json_pointer_child(path, std::to_string(i))));
    }
    return out;
  }
  return node;
}

void collect_ports(const json& node, const std::string& path, std::map<std::string, int>& uses) {
  if (is_verbatim_path(path)) return;
  if (node.is_string()) {
    count_port_uses_in_text(node.get<std::string>(), uses);
  } else if (node.is_object()) {
    for (const auto& [key, child] : node.items()) {
      if (key != kCommentKey) collect_ports(child, json_pointer_child(path, key), uses);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      collect_ports(node[i], json_pointer_child(path, std::to_string(i)), uses);
    }
  }
}

}  // namespace

bool is_verbatim_path(const std::string& json_path) {
  return json_path == "/driver/job/template" || json_path == "/driver/request/body";
}

std::string expand_text(const std::string& text, const PlaceholderValues& values,
                        const std::string& file, const std::string& path) {
  std::string out;
  out.reserve(text.size());
  scan(
      text, file, path, [&](char c) { out += c; },
      [&](const std::string& name, const std::string& argument) {
        if (name == "port") {
          const std::string role = argument.empty() ? "sut" : argument;
          const auto it = values.ports.find(role);
          if (it != values.ports.end()) {
            out += std::to_string(it->second);
          } else if (values.any_port) {
            out += std::to_string(*values.any_port);
          } else {
            throw InputError(file, path, fmt::format("no port was chosen for '{}'", role));
          }
        } else if (name == "bindir") {
          out += values.bindir;
        } else if (name == "scenario_dir") {
          out += values.scenario_dir;
        } else if (name == "run_dir") {
          out += values.run_dir;
        } else if (name == "env") {
          if (path.rfind(kHeadersPath, 0) != 0) {
            throw InputError(
                file, path,
                fmt::format("{{env:{}}} is allowed in driver.request.headers values only",
                            argument),
                "a secret goes in a header (Authorization); sut.env is passed on "
                "as written, and the SUT inherits memgate's environment");
          }
          out += fmt::format("{{env:{}}}", argument);
        } else if (name == "ops" || name == "load_s") {
          if (path.rfind(kLoadCommandPath, 0) != 0) {
            throw InputError(file, path,
                             fmt::format("{{{}}} is allowed in driver.command only", name),
                             "it is the phase's figure, given to a load-command driver's "
                             "command when it starts");
          }
          out += fmt::format("{{{}}}", name);
        } else {
          throw InputError(file, path, fmt::format("unknown placeholder '{{{}}}'", name), kKnown);
        }
      });
  return out;
}

json expand_placeholders(const json& source, const PlaceholderValues& values,
                         const std::string& file) {
  return expand(source, values, file, "");
}

void count_port_uses_in_text(const std::string& text, std::map<std::string, int>& uses) {
  try {
    scan(
        text, "", "", [](char) {},
        [&](const std::string& name, const std::string& argument) {
          if (name == "port") ++uses[argument.empty() ? "sut" : argument];
        });
  } catch (const InputError&) {
    // A malformed {port:...}: expansion reports it with the file and path.
  }
}

void count_port_uses(const json& source, std::map<std::string, int>& uses) {
  collect_ports(source, "", uses);
}

namespace {
std::set<std::string> names_of(const std::map<std::string, int>& uses) {
  std::set<std::string> names;
  for (const auto& [name, count] : uses) names.insert(name);
  return names;
}
}  // namespace

std::set<std::string> port_names_in_text(const std::string& text) {
  std::map<std::string, int> uses;
  count_port_uses_in_text(text, uses);
  return names_of(uses);
}

std::set<std::string> port_names(const json& source) {
  std::map<std::string, int> uses;
  count_port_uses(source, uses);
  return names_of(uses);
}

bool is_service_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!is_port_name_char(c)) return false;
  }
  return true;
}

}  // namespace memgate
