#include "runtime/explain/heaptrack_tools.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "runtime/explain/sut_program.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/reaper.hpp"

extern char** environ;

namespace memgate {

namespace {

namespace fs = std::filesystem;

constexpr const char* kInstallHint =
    "run `make deps-explain` (Debian package heaptrack), or put heaptrack on PATH";

// The last lines of a helper's log, for messages.
std::string tail_of(const std::string& path) {
  std::string text = read_text_file(path);
  if (text.size() > 600) text = "..." + text.substr(text.size() - 600);
  return printable(text, 700);
}

}  // namespace

HeaptrackTools find_heaptrack(const std::string& path_env) {
  const SutProgram script = inspect_program("heaptrack", "", path_env);
  if (script.kind == SutProgram::Kind::missing) {
    throw RunError("heaptrack not found on PATH: `memgate explain` runs native SUTs under it",
                   kInstallHint);
  }
  std::error_code ec;
  const fs::path bin = fs::canonical(script.path, ec).parent_path();
  HeaptrackTools tools;
  tools.preload_lib = (bin / "../lib/heaptrack/libheaptrack_preload.so").lexically_normal();
  tools.interpret = (bin / "../lib/heaptrack/libexec/heaptrack_interpret").lexically_normal();
  tools.print = (bin / "heaptrack_print").lexically_normal();
  for (const std::string* part : {&tools.preload_lib, &tools.interpret, &tools.print}) {
    if (!fs::exists(*part, ec)) {
      throw RunError(fmt::format("heaptrack found at {}, but not its part {}", script.path, *part),
                     kInstallHint);
    }
  }
  return tools;
}

std::string run_helper(const std::vector<std::string>& argv, const std::string& stdin_path,
                       const std::string& stdout_path, const std::string& stderr_path,
                       double timeout_s) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The C locale: sizes print as "4.10M", never "4,10M", whatever memgate's caller chose.
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "LC_ALL=", 7) != 0) env_text.emplace_back(*e);
  }
  env_text.emplace_back("LC_ALL=C");
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  int error = 0;
  const Reaper::Launched launched = Reaper::instance().launch([&] {
    pid_t pid = -1;
    error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
    return error == 0 ? static_cast<int>(pid) : -1;
  });
  posix_spawn_file_actions_destroy(&actions);
  if (launched.pid < 0) {
    throw RunError(fmt::format("cannot start {}: {}", argv[0], std::strerror(error)), kInstallHint);
  }
  // Waits in short steps, so memgate's interruption (SIGINT) stops the helper too.
  for (double waited_s = 0; waited_s < timeout_s; waited_s += 0.2) {
    if (const auto exit = Reaper::instance().wait_exit(launched.pid, 200)) {
      return exit->exited_normally() && exit->exit_code() == 0 ? "" : exit->describe();
    }
    if (interrupt::requested()) break;
  }
  ::kill(launched.pid, SIGKILL);
  Reaper::instance().wait_exit(launched.pid, 5000);
  return interrupt::requested() ? "stopped: memgate was interrupted"
                                : fmt::format("killed after {} s", timeout_s);
}

void interpret_and_print(const HeaptrackTools& tools, const std::string& raw_path,
                         const std::string& data_path, const std::string& text_path,
                         int peak_limit) {
  // Symbols are resolved now, from the binaries on disk: the SUT must not have been rebuilt.
  const std::string interpret_log = data_path + ".log";
  if (const std::string failed =
          run_helper({tools.interpret}, raw_path, data_path, interpret_log, 3600);
      !failed.empty()) {
    throw RunError(fmt::format("heaptrack_interpret {}: {}", failed, tail_of(interpret_log)));
  }
  const std::string print_log = text_path + ".log";
  const std::vector<std::string> argv = {tools.print,
                                         "--file",
                                         data_path,
                                         "--print-peaks",
                                         "1",
                                         "--print-leaks",
                                         "1",
                                         "--print-allocators",
                                         "0",
                                         "--print-temporary",
                                         "0",
                                         "--peak-limit",
                                         std::to_string(peak_limit),
                                         "--sub-peak-limit",
                                         "3"};
  if (const std::string failed = run_helper(argv, "", text_path, print_log, 3600);
      !failed.empty()) {
    throw RunError(fmt::format("heaptrack_print {}: {}", failed, tail_of(print_log)));
  }
}

}  // namespace memgate
