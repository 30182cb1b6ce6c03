#pragma once

// `memgate ab --base REF`: the two sides of a pull request built on this runner. A is a git
// worktree of REF, B the checkout; the project's build command (memgate.json "build") runs in
// each, and each side's SUT is its own tree's program (memgate.json "ab.sut_program"), given
// to ab as that side's overrides. The worktree is removed when this object goes.

#include <string>
#include <vector>

#include "core/project/project.hpp"

namespace memgate::cli {

class BaseWorktree {
 public:
  // Adds the worktree of ref and builds both sides, the build's output in
  // log_dir/ab-build-a.log and -b.log. Throws UsageError (exit 2) when the project does not say
  // which program is the SUT or ref is not a commit; RunError (exit 3) when git or a build
  // fails, with the last lines of its output.
  BaseWorktree(const Project& project, const std::string& ref, const std::string& log_dir,
               bool quiet);
  ~BaseWorktree();
  BaseWorktree(const BaseWorktree&) = delete;
  BaseWorktree& operator=(const BaseWorktree&) = delete;

  // --set overrides ("sut.command.0=\"/abs/path\"") of each side.
  const std::vector<std::string>& a_sets() const { return a_sets_; }
  const std::vector<std::string>& b_sets() const { return b_sets_; }
  const std::string& ref() const { return ref_; }

 private:
  std::string top_;       // the repository's top folder
  std::string worktree_;  // A's tree ("" once removed)
  std::string ref_;
  std::vector<std::string> a_sets_, b_sets_;
};

}  // namespace memgate::cli
