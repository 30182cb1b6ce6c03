#pragma once

// ROOT/shard-I-of-N.json: what one shard of `memgate check|run --shard I/N` was given and what it
// finished. Written when the shard starts and rewritten (atomically) after every scenario and at
// the end, so `memgate merge` knows which scenarios a shard never reached (it was killed, its
// machine died) instead of taking the reports it finds for the whole truth.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/shard/shard.hpp"

namespace memgate {

constexpr int kShardManifestSchemaVersion = 1;

struct ShardScenario {
  std::string name;
  std::string file;  // as given on the command line
  std::string hash;  // scenario_hash(): the same scenario in every shard, and in its report
  int shard = 1;     // the part it belongs to
};

struct ShardResult {
  std::string scenario;
  std::string report;      // its report.json, relative to the manifest's folder
  std::string created_at;  // the report's: a report rewritten since (by another run) differs
};

struct ShardManifest {
  std::string memgate_version;
  std::string command;  // check | run
  std::string commit;   // the checkout's git commit ("" unknown): every shard gates the same code
  Shard shard;
  std::vector<ShardScenario> scenarios;  // the whole list, every shard's, in command-line order
  std::string started_at;                // ISO 8601 UTC
  std::optional<std::string> finished_at;
  std::optional<int> exit_code;      // the shard's own exit code, once it finished
  std::vector<ShardResult> results;  // the scenarios it finished, in that order
};

// "shard-I-of-N.json".
std::string manifest_file_name(const Shard& shard);

// The shard that a file name like "shard-2-of-4.json" names; nullopt for any other name.
std::optional<Shard> shard_of_manifest_name(const std::string& file_name);

nlohmann::json manifest_to_json(const ShardManifest& manifest);

// Throws InputError (exit 2) naming the file and the JSON path when it is not a manifest memgate
// wrote: another schema version, a missing or mistyped key, a scenario in no shard or in a shard
// past N, a result for a scenario of another shard.
ShardManifest read_manifest_file(const std::string& path);

}  // namespace memgate
