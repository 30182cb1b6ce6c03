#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/model/errors.hpp"

namespace memgate::cli {

std::string executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

void print_error(const std::exception& error) {
  print(stderr, "error: {}\n", error.what());
  if (const auto* e = dynamic_cast<const Error*>(&error); e && !e->hint().empty()) {
    print(stderr, "  hint: {}\n", e->hint());
  }
  if (const auto* e = dynamic_cast<const RunError*>(&error); e && !e->log_tail().empty()) {
    print(stderr, "  last lines of the SUT's output:\n");
    for (const auto& line : e->log_tail()) print(stderr, "  | {}\n", line);
  }
}

}  // namespace memgate::cli
