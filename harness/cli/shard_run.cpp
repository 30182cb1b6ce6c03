#include "cli/shard_run.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "cli/cli_time.hpp"
#include "cli/console.hpp"
#include "cli/report_output.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/env/git_info.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate::cli {

void add_shard_option(CLI::App* command, std::string& shard_text) {
  command->add_option("--shard", shard_text,
                      "Run only the I-th of N disjoint, stable parts of the scenarios (I/N, "
                      "e.g. 2/4); join the shards' reports with memgate merge");
}

ShardSelection select_shard(const std::vector<Scenario>& scenarios,
                            const std::vector<std::string>& files, const std::string& shard_text,
                            const std::function<int(const Scenario&)>& repeat_of, bool quiet) {
  ShardSelection out;
  if (shard_text.empty()) {
    for (std::size_t i = 0; i < scenarios.size(); ++i) out.indices.push_back(i);
    return out;
  }
  out.shard = parse_shard(shard_text);
  std::map<std::string, std::string> file_of;
  std::vector<ShardItem> items;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto [it, inserted] = file_of.emplace(scenarios[i].name, files[i]);
    if (!inserted) {
      throw InputError(
          files[i], "/name",
          fmt::format("scenario '{}' is also the name of {}", scenarios[i].name, it->second),
          "give each scenario once, and each a name of its own");
    }
    items.push_back({scenarios[i].name, planned_seconds(scenarios[i], repeat_of(scenarios[i]))});
  }
  const std::vector<int> shard_of = assign_shards(items, out.shard->count);
  double total_s = 0, mine_s = 0;
  std::string names;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    out.all.push_back({scenarios[i].name, files[i], scenario_hash(scenarios[i]), shard_of[i]});
    total_s += items[i].planned_s;
    if (shard_of[i] != out.shard->index) continue;
    out.indices.push_back(i);
    mine_s += items[i].planned_s;
    names += (names.empty() ? "" : ", ") + scenarios[i].name;
  }
  if (!quiet) {
    if (out.indices.empty()) {
      print(stderr, "memgate: shard {}: none of the {} scenario(s): nothing to run\n",
            to_string(*out.shard), scenarios.size());
    } else {
      print(stderr,
            "memgate: shard {}: {} of {} scenario(s) (phases planned: {:.1f} of "
            "{:.1f} min): {}\n",
            to_string(*out.shard), out.indices.size(), scenarios.size(), mine_s / 60, total_s / 60,
            names);
    }
  }
  return out;
}

std::string shard_root(const std::string& out_option, const std::string& reports_root) {
  return out_option.empty() ? reports_root : out_option;
}

std::string scenario_report_dir(const ShardSelection& selection, const std::string& out_option,
                                const std::string& reports_root, std::size_t scenario_count,
                                const std::string& scenario_name) {
  if (!selection.shard) return report_dir(out_option, scenario_count, scenario_name, reports_root);
  return report_dir(
      (std::filesystem::path(shard_root(out_option, reports_root)) / scenario_name).string(), 1,
      scenario_name, reports_root);
}

ShardRecorder::ShardRecorder(const ShardSelection& selection, std::string root, std::string command)
    : root_(std::move(root)) {
  if (!selection.shard) return;
  const auto commit = current_git_commit();
  manifest_ = ShardManifest{MEMGATE_VERSION,  std::move(command), commit ? commit->commit : "",
                            *selection.shard, selection.all,      utc_now_iso8601(),
                            std::nullopt,     std::nullopt,       {}};
  if (const std::error_code ec = make_folders(root_)) {
    throw RunError(fmt::format("cannot create the report folder {}: {}", root_, ec.message()),
                   "choose another folder with --out");
  }
  write();
}

void ShardRecorder::finished(const std::string& scenario, const std::string& report_dir,
                             const std::string& created_at) {
  if (!manifest_) return;
  const auto relative = std::filesystem::path(report_dir).lexically_relative(root_);
  manifest_->results.push_back({scenario, (relative / "report.json").string(), created_at});
  write();
}

ExitCode ShardRecorder::run(const std::function<ExitCode()>& body) {
  ExitCode exit = ExitCode::run_failed;
  try {
    exit = body();
  } catch (const Error& e) {
    done_after_error(e.code());
    throw;
  } catch (...) {
    done_after_error(ExitCode::run_failed);
    throw;
  }
  // Interrupted (SIGINT, SIGTERM: a cancelled CI job, an evicted pod): not finished.
  if (!interrupt::requested()) done(exit);
  return exit;
}

void ShardRecorder::done(ExitCode exit) {
  if (!manifest_) return;
  manifest_->finished_at = utc_now_iso8601();
  manifest_->exit_code = to_int(exit);
  write();
}

void ShardRecorder::done_after_error(ExitCode exit) {
  if (interrupt::requested()) return;
  try {
    done(exit);
  } catch (const std::exception& e) {  // the first error is the one to report
    print(stderr, "warning: cannot record the shard's end in its manifest: {}\n", e.what());
  }
}

void ShardRecorder::write() const {
  write_file_atomic((std::filesystem::path(root_) / manifest_file_name(manifest_->shard)).string(),
                    manifest_to_json(*manifest_).dump(1) + "\n");
}

}  // namespace memgate::cli
