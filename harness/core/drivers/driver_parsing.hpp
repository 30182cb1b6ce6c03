#pragma once

// Parsing helpers the driver kinds share.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/drivers/driver_kind.hpp"
#include "core/model/json_reader.hpp"

namespace memgate::driver_parsing {

constexpr double kMaxRatePerS = 100'000'000;

// A port: a whole number 1..65535, or a string holding one (what "{port}" expands to).
int get_port(ObjectReader& r, std::string_view key);
std::optional<int> opt_port(ObjectReader& r, std::string_view key);

// Throws unless host is loopback or the context allows remote targets.
void require_allowed_host(const ObjectReader& r, std::string_view key, const std::string& host,
                          bool allow_remote);
// The same for a value at json_path of file.
void require_allowed_host(const std::string& file, const std::string& json_path,
                          const std::string& host, bool allow_remote);

// What the load holds at once, within limits::kMaxInFlightBytes, given the longest text it
// sends (JSON-escaped, in bytes; 0 without texts): a text batch's request bodies (batch_size x
// the longest text x concurrency, named at batch_size), a Redis producer's job batches
// (pipeline x a job's bytes x producers, named at pipeline). r: the driver's object.
void check_text_batch_in_flight(const ObjectReader& r, const TextBatchDriverSpec& d,
                                std::int64_t longest_text_bytes);
void check_redis_in_flight(const ObjectReader& r, const RedisQueueDriverSpec& d,
                           std::int64_t longest_text_bytes);

// {"file": PATH} (relative to scenario_dir) or {"generate": {count, min_words, max_words, seed}}.
TextsSpec parse_texts(ObjectReader texts, const std::string& scenario_dir);

// The port of the service named at `key` (a service of the scenario that uses {port:NAME}).
int service_port(ObjectReader& r, std::string_view key, const DriverParseContext& c);

// A list of Redis keys at `key`: 1 to 1024 distinct keys of 1 to 200 bytes.
std::vector<std::string> read_queue_keys(ObjectReader& r, std::string_view key);

// The name of an environment variable (for secrets kept out of files), at `key`.
std::optional<std::string> opt_env_name(ObjectReader& r, std::string_view key);

}  // namespace memgate::driver_parsing
