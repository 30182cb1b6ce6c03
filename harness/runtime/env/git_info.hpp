#pragma once

#include <optional>
#include <string>

namespace memgate {

struct GitCommit {
  std::string commit;  // full hash of HEAD
  bool dirty = false;  // tracked files differ from HEAD
};

// HEAD of the git checkout memgate runs in (via `git`, argv only), when there is one and git is
// installed; otherwise nothing. Never throws.
std::optional<GitCommit> current_git_commit();

}  // namespace memgate
