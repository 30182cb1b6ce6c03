#include "cli/build_info.hpp"

#include <fmt/format.h>

namespace memgate::cli {

std::string version_text() {
  return fmt::format("memgate {} (commit {})", MEMGATE_VERSION, build_commit());
}

}  // namespace memgate::cli
