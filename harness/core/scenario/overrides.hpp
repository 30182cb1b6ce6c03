#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace memgate {

// One `--set KEY=VALUE` of the command line: KEY is a dotted path into the scenario
// ("driver.pipeline"), or a JSON pointer for keys that hold dots
// ("/gate/services.redis.peak_bytes/max_increase_pct"); VALUE is JSON when it parses as JSON (64, true, "x", [1,2]) and a plain
// string otherwise.
struct Override {
  std::string key;
  nlohmann::json value;
  std::string text;               // the option as given, for messages: "--set driver.pipeline=64"
  std::string json_path() const;  // "/driver/pipeline"
};

// Throws UsageError when arg is not KEY=VALUE with a non-empty key of non-empty parts, is not
// valid UTF-8, or VALUE is JSON nested too deep or with a key twice.
Override parse_override(const std::string& arg);

// `--sweep KEY=V1,V2,...`: the override that sets the scenario's "sweep" to {"key": KEY,
// "values": [V1, V2, ...]}. A value that is not a JSON number stays a string, for the scenario
// loader to refuse at /sweep/values/I; no '=' or no key is a UsageError.
Override parse_sweep_option(const std::string& arg);

// Sets each override in source, creating objects on the way; a part that meets an array is an
// index into it ("sut.command.2"). A path that runs through a value that is neither, or an index
// out of range, is a UsageError. Unknown keys are not judged here: the scenario loader
// rejects them like any unknown key in the file.
void apply_overrides(nlohmann::json& source, const std::vector<Override>& overrides);

}  // namespace memgate
