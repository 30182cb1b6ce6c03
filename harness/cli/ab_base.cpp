#include "cli/ab_base.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/console.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "runtime/process/sut_process.hpp"

namespace memgate::cli {

namespace fs = std::filesystem;

namespace {

// A build may take a while; git a few seconds.
constexpr double kBuildTimeoutMs = 60 * 60 * 1000.0;
constexpr double kGitTimeoutMs = 10 * 60 * 1000.0;

struct Outcome {
  bool ok = false;
  std::vector<std::string> tail;  // the last lines of its output
};

// Runs argv in cwd, its output into log_path (or only kept, with log_path ""), up to timeout_ms.
Outcome run(const std::vector<std::string>& argv, const std::string& cwd,
            const std::string& log_path, double timeout_ms) {
  LaunchSpec spec;
  spec.argv = argv;
  spec.cwd = cwd;
  spec.log_path = log_path;
  SutProcess process(spec);
  const auto exit = process.wait_exit(timeout_ms);
  process.stop(5);
  return {exit && exit->exited_normally() && exit->exit_code() == 0, process.log_tail()};
}

std::string git_top(const std::string& folder) {
  const Outcome top =
      run({"git", "-C", folder, "rev-parse", "--show-toplevel"}, "", "", kGitTimeoutMs);
  if (!top.ok || top.tail.empty()) {
    throw UsageError(fmt::format("memgate ab --base: {} is not in a git repository", folder),
                     "--base builds the base commit in a git worktree of the project's "
                     "repository");
  }
  return top.tail.back();
}

}  // namespace

BaseWorktree::BaseWorktree(const Project& project, const std::string& ref,
                           const std::string& log_dir, bool quiet)
    : ref_(ref) {
  if (project.ab.sut_program.empty()) {
    throw UsageError(
        fmt::format("memgate ab --base: {} does not say which program is the SUT", project.file),
        R"(add "ab": {"sut_program": {"sut.command.0": "build/bin/my-service"}})");
  }
  top_ = git_top(project.root);
  if (!run({"git", "-C", top_, "rev-parse", "--verify", "--quiet", ref + "^{commit}"}, "", "",
           kGitTimeoutMs)
           .ok) {
    throw UsageError(fmt::format("memgate ab --base {}: not a commit of {}", ref, top_),
                     "fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin "
                     "main)");
  }
  std::string temp = (fs::temp_directory_path() / "memgate-ab-base-XXXXXX").string();
  if (::mkdtemp(temp.data()) == nullptr) {
    throw RunError(fmt::format("cannot create a folder for the worktree of {}", ref));
  }
  worktree_ = temp + "/tree";
  if (const std::error_code ec = make_folders(log_dir)) {
    throw RunError(fmt::format("cannot create {}: {}", log_dir, ec.message()));
  }
  const Outcome added = run({"git", "-C", top_, "worktree", "add", "--detach", worktree_, ref}, "",
                            "", kGitTimeoutMs);
  if (!added.ok) {
    worktree_.clear();
    throw RunError(fmt::format("git worktree add of {} failed", ref), "", added.tail);
  }
  // The project's folder in each tree, as it is in the checkout.
  const fs::path inside = fs::path(project.root).lexically_relative(top_);
  const fs::path a_root = fs::path(worktree_) / inside;
  const fs::path b_root = project.root;
  for (const auto& [side, root] : {std::pair{"a", a_root}, std::pair{"b", b_root}}) {
    if (project.build.empty()) break;
    const std::string log = (fs::path(log_dir) / fmt::format("ab-build-{}.log", side)).string();
    if (!quiet) {
      print(stderr, "memgate: ab: building {} ({}) in {}\n", side == std::string("a") ? "A" : "B",
            side == std::string("a") ? ref : "the checkout", root.string());
    }
    const Outcome built = run(project.build, root.string(), log, kBuildTimeoutMs);
    if (!built.ok) {
      throw RunError(fmt::format("the build of {} failed ({}): see {}",
                                 side == std::string("a") ? ref : "the checkout",
                                 fmt::join(project.build, " "), log),
                     "", built.tail);
    }
  }
  for (const auto& [key, path] : project.ab.sut_program) {
    a_sets_.push_back(key + "=" +
                      nlohmann::json((a_root / path).lexically_normal().string()).dump());
    b_sets_.push_back(key + "=" +
                      nlohmann::json((b_root / path).lexically_normal().string()).dump());
  }
}

BaseWorktree::~BaseWorktree() {
  if (worktree_.empty()) return;
  run({"git", "-C", top_, "worktree", "remove", "--force", worktree_}, "", "", kGitTimeoutMs);
  std::error_code ec;
  fs::remove_all(fs::path(worktree_).parent_path(), ec);
  run({"git", "-C", top_, "worktree", "prune"}, "", "", kGitTimeoutMs);
}

}  // namespace memgate::cli
