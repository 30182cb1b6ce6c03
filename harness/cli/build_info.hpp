#pragma once

// What `memgate --version` says of the build: the version (MEMGATE_VERSION) and the git commit it
// was built from, written at every build by cmake/build_info.cmake ("unknown" outside a git
// checkout, "-dirty" when the checkout had changes).

#include <string>

namespace memgate::cli {

// The short commit ("3f2a9c1d0b4e", "3f2a9c1d0b4e-dirty" or "unknown").
const char* build_commit();

// "memgate 0.1.0 (commit 3f2a9c1d0b4e)".
std::string version_text();

}  // namespace memgate::cli
