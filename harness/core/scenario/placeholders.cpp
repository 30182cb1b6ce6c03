#include "core/scenario/placeholders.hpp"

#include <fmt/format.h>

#include "core/model/errors.hpp"
#include "core/scenario/json_reader.hpp"

namespace memgate {

using nlohmann::json;

namespace {

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

std::string expand_string(const std::string& text, const PlaceholderValues& values,
                          const std::string& file, const std::string& path) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") == 0) {  // an escaped, literal brace
      out += '{';
      i += 2;
      continue;
    }
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    std::size_t j = i + 1;
    while (j < text.size() && is_name_char(text[j])) ++j;
    if (j == i + 1 || j >= text.size() || text[j] != '}') {
      out += text[i++];  // not a placeholder: a literal brace
      continue;
    }
    const std::string name = text.substr(i + 1, j - i - 1);
    if (name == "port") {
      out += std::to_string(values.port);
    } else if (name == "bindir") {
      out += values.bindir;
    } else if (name == "scenario_dir") {
      out += values.scenario_dir;
    } else {
      throw InputError(file, path, fmt::format("unknown placeholder '{{{}}}'", name),
                       "placeholders are {port}, {bindir} and {scenario_dir}");
    }
    i = j + 1;
  }
  return out;
}

json expand(const json& node, const PlaceholderValues& values, const std::string& file,
            const std::string& path) {
  if (node.is_string()) return expand_string(node.get<std::string>(), values, file, path);
  if (node.is_object()) {
    json out = json::object();
    for (const auto& [key, child] : node.items()) {
      out[key] = expand(child, values, file, json_pointer_child(path, key));
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

}  // namespace

json expand_placeholders(const json& source, const PlaceholderValues& values,
                         const std::string& file) {
  return expand(source, values, file, "");
}

bool uses_port_placeholder(const json& source) {
  if (source.is_string()) return source.get<std::string>().find("{port}") != std::string::npos;
  if (source.is_structured()) {
    for (const auto& child : source) {
      if (uses_port_placeholder(child)) return true;
    }
  }
  return false;
}

}  // namespace memgate
