#include "core/scenario/overrides.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

using nlohmann::json;

namespace {

// "driver.pipeline" -> {driver, pipeline}; a JSON pointer "/gate/services.redis.peak_bytes" ->
// {gate, services.redis.peak_bytes} (RFC 6901: "~1" is "/", "~0" is "~"), for keys with dots.
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  const bool pointer = !key.empty() && key.front() == '/';
  const char separator = pointer ? '/' : '.';
  std::size_t start = pointer ? 1 : 0;
  while (true) {
    const auto end = key.find(separator, start);
    std::string part = key.substr(start, end - start);
    if (pointer) {
      for (std::size_t at; (at = part.find("~1")) != std::string::npos;) part.replace(at, 2, "/");
      for (std::size_t at; (at = part.find("~0")) != std::string::npos;) part.replace(at, 2, "~");
    }
    parts.push_back(std::move(part));
    if (end == std::string::npos) break;
    start = end + 1;
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
  out.text = "--set " + arg;
  for (const auto& part : split_key(out.key)) {
    if (part.empty()) {
      throw UsageError(fmt::format("--set '{}': empty part in key '{}'", arg, out.key),
                       "keys are dotted paths such as driver.pipeline, or JSON pointers such as "
                       "/gate/services.redis.peak_bytes/max_increase_pct");
    }
  }
  // A scenario is UTF-8 JSON, and so is what --set puts in it (other bytes could not be written
  // into a report or hashed).
  if (!is_valid_utf8(arg)) throw UsageError(fmt::format("--set {}=...: not valid UTF-8", out.key));
  const std::string value_text = arg.substr(eq + 1);
  if (!json::accept(value_text)) {
    out.value = value_text;  // not JSON: a plain string
    return out;
  }
  try {
    // JSON is read like a scenario file: nesting depth limited, duplicate keys refused.
    out.value = parse_json_text(value_text, "--set");
  } catch (const InputError& e) {
    throw UsageError(fmt::format("--set {}=...: {}{}", out.key,
                                 e.json_path().empty() ? "" : e.json_path() + ": ", e.problem()),
                     e.hint());
  }
  return out;
}

Override parse_sweep_option(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) {
    throw UsageError(fmt::format("--sweep '{}': expected KEY=V1,V2,...", arg),
                     "for example: --sweep phases.load_ops=1000,2000,4000");
  }
  if (!is_valid_utf8(arg)) throw UsageError(fmt::format("--sweep '{}': not valid UTF-8", arg));
  json values = json::array();
  std::string rest = arg.substr(eq + 1);
  for (std::size_t start = 0; start <= rest.size();) {
    const auto comma = std::min(rest.find(',', start), rest.size());
    const std::string text = rest.substr(start, comma - start);
    const json number = json::parse(text, nullptr, /*allow_exceptions=*/false);
    values.push_back(number.is_number() ? number : json(text));
    start = comma + 1;
  }
  Override out;
  out.key = "sweep";
  out.text = "--sweep " + arg;
  out.value = {{"key", arg.substr(0, eq)}, {"values", values}};
  return out;
}

void apply_overrides(json& source, const std::vector<Override>& overrides) {
  for (const auto& o : overrides) {
    json* node = &source;
    const auto parts = split_key(o.key);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      // An element of an array by its index ("sut.command.3": an argument of the command).
      if (node->is_array()) {
        std::size_t index = 0;
        const auto [end, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), index);
        if (ec != std::errc{} || end != parts[i].data() + parts[i].size() || index >= node->size()) {
          throw UsageError(
              fmt::format("{}: '{}' is not an index of the array '{}' ({} items)", o.text, parts[i],
                          fmt::join(parts.begin(), parts.begin() + i, "."), node->size()));
        }
        node = &(*node)[index];
        continue;
      }
      if (!node->is_object()) {
        throw UsageError(fmt::format("{}: '{}' is not an object in the scenario", o.text,
                                     fmt::join(parts.begin(), parts.begin() + i, ".")));
      }
      // A missing object on the way is created ("gate.budgets.peak_bytes" without a gate).
      if (i + 1 < parts.size() && !node->contains(parts[i])) (*node)[parts[i]] = json::object();
      node = &(*node)[parts[i]];
    }
    *node = o.value;
  }
}

}  // namespace memgate
