#include "runtime/env/git_info.hpp"

#include "runtime/process/sut_process.hpp"

namespace memgate {

namespace {

// The output lines of a short git command, or nothing when it fails.
std::optional<std::vector<std::string>> git(const std::vector<std::string>& args) {
  try {
    LaunchSpec spec;
    spec.argv = {"git"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    SutProcess process(spec);
    const auto exit = process.wait_exit(5000);
    process.stop(0);
    if (!exit || !exit->exited_normally() || exit->exit_code() != 0) return std::nullopt;
    return process.log_tail();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<GitCommit> current_git_commit() {
  const auto head = git({"rev-parse", "HEAD"});
  if (!head || head->empty() || head->front().size() < 7) return std::nullopt;
  GitCommit out{head->front(), false};
  if (const auto status = git({"status", "--porcelain", "--untracked-files=no"})) {
    out.dirty = !status->empty();
  }
  return out;
}

}  // namespace memgate
