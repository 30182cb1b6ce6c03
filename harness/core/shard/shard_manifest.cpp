#include "core/shard/shard_manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"

namespace memgate {

std::string manifest_file_name(const Shard& shard) {
  return fmt::format("shard-{}-of-{}.json", shard.index, shard.count);
}

std::optional<Shard> shard_of_manifest_name(const std::string& file_name) {
  static const std::regex pattern(R"(shard-([0-9]{1,4})-of-([0-9]{1,4})\.json)");
  std::smatch m;
  if (!std::regex_match(file_name, m, pattern)) return std::nullopt;
  Shard shard{std::stoi(m[1].str()), std::stoi(m[2].str())};
  if (shard.count < 1 || shard.count > kMaxShards || shard.index < 1 || shard.index > shard.count) {
    return std::nullopt;
  }
  return shard;
}

nlohmann::json manifest_to_json(const ShardManifest& m) {
  nlohmann::json scenarios = nlohmann::json::array();
  for (const auto& s : m.scenarios) {
    scenarios.push_back({{"name", s.name}, {"file", s.file}, {"hash", s.hash}, {"shard", s.shard}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : m.results) {
    results.push_back(
        {{"scenario", r.scenario}, {"report", r.report}, {"created_at", r.created_at}});
  }
  return {{"schema_version", kShardManifestSchemaVersion},
          {"memgate_version", m.memgate_version},
          {"command", m.command},
          {"commit", m.commit},
          {"shard", {{"index", m.shard.index}, {"count", m.shard.count}}},
          {"scenarios", scenarios},
          {"started_at", m.started_at},
          {"finished_at", m.finished_at ? nlohmann::json(*m.finished_at) : nlohmann::json()},
          {"exit_code", m.exit_code ? nlohmann::json(*m.exit_code) : nlohmann::json()},
          {"results", results}};
}

ShardManifest read_manifest_file(const std::string& path) {
  const nlohmann::json doc = parse_json_text(read_input_file(path, 64 * 1024 * 1024), path);
  ObjectReader r(doc, "", path);
  const auto version = r.get_int("schema_version", 0, 1'000'000);
  if (version != kShardManifestSchemaVersion) {
    r.fail("schema_version", fmt::format("schema version {} is not the {} this memgate reads",
                                         version, kShardManifestSchemaVersion));
  }
  ShardManifest m;
  m.memgate_version = r.get_string("memgate_version");
  m.command = r.get_enum("command", {"check", "run"});
  m.commit = r.get_string("commit");
  ObjectReader shard = r.get_object("shard");
  m.shard.count = static_cast<int>(shard.get_int("count", 1, kMaxShards));
  m.shard.index = static_cast<int>(shard.get_int("index", 1, m.shard.count));
  shard.reject_unknown_keys();
  std::set<std::string> names;
  for (ObjectReader& s : r.get_object_array("scenarios")) {
    ShardScenario scenario{s.get_string("name"), s.get_string("file"), s.get_string("hash"),
                           static_cast<int>(s.get_int("shard", 1, m.shard.count))};
    if (!names.insert(scenario.name).second) {
      s.fail("name", fmt::format("scenario '{}' is listed twice", scenario.name));
    }
    m.scenarios.push_back(std::move(scenario));
    s.reject_unknown_keys();
  }
  m.started_at = r.get_string("started_at");
  if (const nlohmann::json* f = r.opt_raw("finished_at"); f && !f->is_null()) {
    m.finished_at = r.get_string("finished_at");
  }
  if (const nlohmann::json* e = r.opt_raw("exit_code"); e && !e->is_null()) {
    m.exit_code = static_cast<int>(r.get_int("exit_code", 0, 255));
  }
  for (ObjectReader& s : r.get_object_array("results")) {
    ShardResult result{s.get_string("scenario"), s.get_string("report"),
                       s.get_string("created_at")};
    const auto listed =
        std::find_if(m.scenarios.begin(), m.scenarios.end(),
                     [&](const ShardScenario& x) { return x.name == result.scenario; });
    if (listed == m.scenarios.end() || listed->shard != m.shard.index) {
      s.fail("scenario", fmt::format("'{}' is not one of shard {}'s scenarios", result.scenario,
                                     to_string(m.shard)));
    }
    const std::filesystem::path report(result.report);
    if (report.is_absolute() ||
        std::find(report.begin(), report.end(), std::filesystem::path("..")) != report.end()) {
      s.fail("report", "expected a path inside the manifest's folder, relative to it");
    }
    m.results.push_back(std::move(result));
    s.reject_unknown_keys();
  }
  r.reject_unknown_keys();
  return m;
}

}  // namespace memgate
