#pragma once

// `memgate merge`: which report stands for which scenario, from the shards' manifests. Pure: the
// manifests are read by the caller. Everything that would make one merged verdict a lie is
// refused here: shards of different memgate versions, commands or scenario lists, the same shard
// twice. A shard that is missing or did not finish is not an error of the input: its scenarios
// are entries without a report, which the verdict counts as runs that were not carried out.

#include <string>
#include <vector>

#include "core/model/exit_code.hpp"
#include "core/shard/shard_manifest.hpp"

namespace memgate {

struct LoadedManifest {
  std::string path;  // the manifest file
  ShardManifest manifest;
};

struct MergeEntry {
  std::string scenario;
  std::string hash;  // the scenario's hash, as its shard loaded it
  Shard shard;
  std::string report_path;        // its report.json (the manifest's folder + the result's path)
  std::string report_created_at;  // the report's created_at when its shard finished it
  std::string missing_reason;     // when report_path is "": why there is no report
  // Without a report: the scenario's exit code. A run not carried out (3), or bad input (2) when
  // its shard refused its input (a damaged baseline) before running it.
  ExitCode missing_exit = ExitCode::run_failed;
};

struct MergePlan {
  std::string memgate_version;
  std::string command;  // check | run
  int shard_count = 1;
  std::vector<MergeEntry> entries;  // the scenario list's order
};

// Throws UsageError when `manifests` is empty and InputError (exit 2) naming the later of two
// files that disagree (memgate version, command, git commit when both know it, shard count,
// the scenarios with their hashes and shards, in any order) or hold the same shard, and the
// manifest that lists a result twice.
MergePlan plan_merge(const std::vector<LoadedManifest>& manifests);

}  // namespace memgate
