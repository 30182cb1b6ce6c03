#include "core/shard/merge_plan.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "core/model/errors.hpp"

namespace memgate {

namespace {

std::string list_text(const std::vector<ShardScenario>& scenarios) {
  std::string out;
  for (const auto& s : scenarios) {
    out += fmt::format("{}{} (shard {})", out.empty() ? "" : ", ", s.name, s.shard);
  }
  return out.empty() ? "none" : out;
}

// The same scenarios (name, hash, shard), whatever the order they were given in.
bool same_list(const std::vector<ShardScenario>& a, const std::vector<ShardScenario>& b) {
  const auto key = [](const std::vector<ShardScenario>& list) {
    std::set<std::tuple<std::string, std::string, int>> out;
    for (const auto& s : list) out.emplace(s.name, s.hash, s.shard);
    return out;
  };
  return a.size() == b.size() && key(a) == key(b);
}

// The later manifest disagrees with the first on something that must be the same.
void check_agrees(const LoadedManifest& first, const LoadedManifest& later) {
  const ShardManifest& a = first.manifest;
  const ShardManifest& b = later.manifest;
  const auto refuse = [&](const char* path, const std::string& what, const std::string& hint) {
    throw InputError(later.path, path, fmt::format("{} ({} has {})", what, first.path, hint));
  };
  if (b.memgate_version != a.memgate_version) {
    refuse("/memgate_version",
           fmt::format("written by memgate {}, not {} like the other shards", b.memgate_version,
                       a.memgate_version),
           a.memgate_version);
  }
  if (b.command != a.command) {
    refuse("/command",
           fmt::format("a shard of `memgate {}`, not of `memgate {}`", b.command, a.command),
           a.command);
  }
  if (!a.commit.empty() && !b.commit.empty() && b.commit != a.commit) {
    refuse("/commit",
           fmt::format("gates commit {}, not {} like the other shards", b.commit, a.commit),
           a.commit);
  }
  if (b.shard.count != a.shard.count) {
    refuse("/shard/count", fmt::format("one of {} shards, not of {}", b.shard.count, a.shard.count),
           to_string(a.shard));
  }
  if (!same_list(a.scenarios, b.scenarios)) {
    refuse("/scenarios", fmt::format("another scenario list or split: {}", list_text(b.scenarios)),
           list_text(a.scenarios));
  }
}

}  // namespace

MergePlan plan_merge(const std::vector<LoadedManifest>& manifests) {
  if (manifests.empty()) {
    throw UsageError("no shard manifests to merge",
                     "give the folders that `memgate check --shard I/N` wrote its reports into");
  }
  const LoadedManifest& first = manifests.front();
  std::map<int, const LoadedManifest*> by_index;
  for (const auto& m : manifests) {
    check_agrees(first, m);
    const auto [it, inserted] = by_index.emplace(m.manifest.shard.index, &m);
    if (!inserted) {
      throw InputError(m.path, "/shard/index",
                       fmt::format("shard {} is given twice (also {})", to_string(m.manifest.shard),
                                   it->second->path),
                       "give each shard's folder once, from one run of the shards");
    }
  }
  MergePlan plan{
      first.manifest.memgate_version, first.manifest.command, first.manifest.shard.count, {}};
  // scenario -> its result, from the manifest of its shard
  std::map<std::string, std::pair<std::string, const ShardResult*>> reports;
  for (const auto& m : manifests) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < m.manifest.results.size(); ++i) {
      const ShardResult& r = m.manifest.results[i];
      if (!seen.insert(r.scenario).second) {
        throw InputError(m.path, fmt::format("/results/{}", i),
                         fmt::format("scenario '{}' has two results", r.scenario));
      }
      reports[r.scenario] = {
          (std::filesystem::path(m.path).parent_path() / r.report).lexically_normal().string(), &r};
    }
  }
  for (const auto& s : first.manifest.scenarios) {
    MergeEntry entry{s.name, s.hash, {s.shard, plan.shard_count}, "", "", "", ExitCode::run_failed};
    const auto found = by_index.find(s.shard);
    if (found == by_index.end()) {
      entry.missing_reason = fmt::format("shard {} is missing (no {} in the folders given)",
                                         to_string(entry.shard), manifest_file_name(entry.shard));
    } else if (const auto report = reports.find(s.name); report != reports.end()) {
      entry.report_path = report->second.first;
      entry.report_created_at = report->second.second->created_at;
    } else {
      const ShardManifest& m = found->second->manifest;
      if (m.exit_code == to_int(ExitCode::bad_input)) entry.missing_exit = ExitCode::bad_input;
      entry.missing_reason = m.exit_code
                                 ? fmt::format("shard {} finished (exit {}) without running it",
                                               to_string(entry.shard), *m.exit_code)
                                 : fmt::format(
                                       "shard {} did not finish: it was stopped or its machine "
                                       "failed before this scenario ended",
                                       to_string(entry.shard));
    }
    plan.entries.push_back(std::move(entry));
  }
  return plan;
}

}  // namespace memgate
