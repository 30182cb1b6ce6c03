#include "core/scenario/overrides.hpp"

#include <fmt/format.h>

#include "core/model/errors.hpp"
#include "core/scenario/json_reader.hpp"

namespace memgate {

using nlohmann::json;

namespace {
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}
}  // namespace

std::string Override::json_path() const {
  std::string path;
  for (const auto& part : split_key(key)) path = json_pointer_child(path, part);
  return path;
}

Override parse_override(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError(fmt::format("--set '{}': expected KEY=VALUE", arg),
                     "for example: --set driver.pipeline=64");
  }
  Override out;
  out.key = arg.substr(0, eq);
  out.text = arg;
  for (const auto& part : split_key(out.key)) {
    if (part.empty()) {
      throw UsageError(fmt::format("--set '{}': empty part in key '{}'", arg, out.key),
                       "keys are dotted paths such as driver.pipeline");
    }
  }
  const std::string value_text = arg.substr(eq + 1);
  out.value = json::parse(value_text, nullptr, /*allow_exceptions=*/false);
  if (out.value.is_discarded()) out.value = value_text;
  return out;
}

void apply_overrides(json& source, const std::vector<Override>& overrides) {
  for (const auto& o : overrides) {
    json* node = &source;
    const auto parts = split_key(o.key);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!node->is_object()) {
        throw UsageError(fmt::format("--set {}: '{}' is not an object in the scenario", o.text,
                                     fmt::join(parts.begin(), parts.begin() + i, ".")));
      }
      node = &(*node)[parts[i]];
    }
    *node = o.value;
  }
}

}  // namespace memgate
