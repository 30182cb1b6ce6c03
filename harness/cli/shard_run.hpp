#pragma once

// --shard I/N for check, run and baseline: which scenarios this shard runs (printed at the start)
// and, for check and run, the manifest `memgate merge` reads (ROOT/shard-I-of-N.json).

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/model/exit_code.hpp"
#include "core/scenario/scenario.hpp"
#include "core/shard/shard_manifest.hpp"

namespace memgate::cli {

// Registers --shard on a subcommand.
void add_shard_option(CLI::App* command, std::string& shard_text);

struct ShardSelection {
  std::optional<Shard> shard;        // none: every scenario
  std::vector<std::size_t> indices;  // the scenarios this shard runs, in list order
  std::vector<ShardScenario> all;    // every scenario and its shard
};

// This shard's part of `scenarios` (loaded from `files`, in that order), split by planned time
// (repeat_of: the repetitions each will run). Sharded, two scenarios of the same name are exit 2
// (their reports would be confused). Prints the split on stderr unless quiet.
ShardSelection select_shard(const std::vector<Scenario>& scenarios,
                            const std::vector<std::string>& files, const std::string& shard_text,
                            const std::function<int(const Scenario&)>& repeat_of, bool quiet);

// The folder of a shard's manifest and reports: --out, or reports_root (reports, or the
// project's reports folder).
std::string shard_root(const std::string& out_option, const std::string& reports_root);

// Where a scenario's reports go: ROOT/<name> when sharded (whatever the number of scenarios, so
// merge finds them), else report_dir()'s choice. Creates the folder.
std::string scenario_report_dir(const ShardSelection& selection, const std::string& out_option,
                                const std::string& reports_root, std::size_t scenario_count,
                                const std::string& scenario_name);

// Keeps ROOT/shard-I-of-N.json true while the shard runs: written when constructed (nothing
// finished), after each scenario, and with the exit code at the end of run(). Does nothing
// unsharded.
class ShardRecorder {
 public:
  ShardRecorder(const ShardSelection& selection, std::string root, std::string command);
  // Runs the shard's scenarios and records its exit code; an error that ends it early is
  // recorded with its exit code (bad input 2, any other 3) and thrown on. A shard that is
  // interrupted (SIGINT, SIGTERM) or killed leaves the manifest without one: merge says it did
  // not finish.
  ExitCode run(const std::function<ExitCode()>& body);
  // The scenario's reports are in report_dir (under root); created_at: its report's.
  void finished(const std::string& scenario, const std::string& report_dir,
                const std::string& created_at);

 private:
  void done(ExitCode exit);
  void done_after_error(ExitCode exit);  // never throws: the error is what the user must see
  void write() const;
  std::string root_;
  std::optional<ShardManifest> manifest_;
};

}  // namespace memgate::cli
