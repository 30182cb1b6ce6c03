#pragma once

// Helpers of the integration tests: paths of the built programs, running the memgate CLI as a
// black box, temporary folders, process liveness.

#include <catch2/catch.hpp>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/text_file.hpp"
#include "support/temp_dir.hpp"
#include "runtime/process/sut_process.hpp"

namespace memgate::test {

inline std::string bindir() { return MEMGATE_TEST_BINDIR; }
inline std::string test_sut() { return bindir() + "/mg-test-sut"; }
inline std::string memgate_exe() { return bindir() + "/memgate"; }

inline std::string slurp(const std::string& path) { return read_text_file(path); }

// The exit code CTest reports as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
constexpr int kSkipExitCode = 77;

// Ends the test as skipped (CTest runs one test case per process): for what this machine cannot
// do. Nothing may have been started yet.
[[noreturn]] inline void skip_test(const std::string& why) {
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  std::_Exit(kSkipExitCode);
}

// Skips the test when `program` is not installed, or fails it under CI=true: `make deps`
// installs `package`, so a CI machine without it has a broken setup, not a reason to skip.
inline void require_tool(const std::string& program, const std::string& package) {
  try {
    resolve_program(program, "", {});
    return;
  } catch (const std::exception&) {
  }
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") {
    FAIL(program << " is not installed although CI=true: `make deps` installs " << package);
  }
  skip_test(program + " is not installed (run `make deps`, or apt-get install " + package + ")");
}

// The same for a Python module of Debian's /usr/bin/python3.
inline void require_python_module(const std::string& module, const std::string& package) {
  require_tool("/usr/bin/python3", "python3");
  LaunchSpec spec;
  spec.argv = {"/usr/bin/python3", "-c", "import " + module};
  SutProcess probe(spec);
  const auto exit = probe.wait_exit(30'000);
  if (exit && exit->exited_normally() && exit->exit_code() == 0) return;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") {
    FAIL("python3 cannot import " << module << " although CI=true: `make deps` installs " << package);
  }
  skip_test("python3 cannot import " + module + " (run `make deps`, or apt-get install " + package + ")");
}

// The live processes whose environment holds MG_FAULT_TOKEN=token: a test gives every process
// it has memgate start the token, then looks for leftovers in all of /proc.
inline std::vector<int> token_holders(const std::string& token);

// A token no other test uses.
inline std::string fresh_token() {
  static std::atomic<int> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// True while pid is a process that is not a zombie.
inline bool process_alive(int pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X';
}

inline std::vector<int> token_holders(const std::string& token) {
  const std::string needle = "MG_FAULT_TOKEN=" + token;
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  REQUIRE(proc != nullptr);
  while (const dirent* entry = ::readdir(proc)) {
    const int pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    const std::string environ = slurp("/proc/" + std::to_string(pid) + "/environ");
    for (std::size_t at = 0; at < environ.size();) {
      const std::size_t end = std::min(environ.find('\0', at), environ.size());
      if (environ.compare(at, end - at, needle) == 0 && process_alive(pid)) pids.push_back(pid);
      at = end + 1;
    }
  }
  ::closedir(proc);
  return pids;
}

// The pids a mg-test-sut printed ("pids: N" lines).
inline std::vector<int> printed_pids(const std::string& output) {
  std::vector<int> pids;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find("pids: ");
    if (at != std::string::npos) pids.push_back(std::atoi(line.c_str() + at + 6));
  }
  return pids;
}

// xmllint says the file is well-formed XML. Call require_tool("xmllint", "libxml2-utils") at
// the start of each test that uses this.
inline void expect_well_formed(const std::string& file) {
  LaunchSpec spec;
  spec.argv = {"xmllint", "--noout", file};
  SutProcess lint(spec);
  const auto exit = lint.wait_exit(30'000);
  lint.stop(0);
  REQUIRE(exit);
  INFO(file);
  for (const auto& line : lint.log_tail()) UNSCOPED_INFO(line);
  CHECK(exit->exit_code() == 0);
}

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs a program (argv[0] looked up on PATH unless it holds a '/'), waits for it (fails the
// test if it runs past timeout_s). env is added to the test's environment.
inline CliResult run_program(const std::vector<std::string>& argv, double timeout_s = 120,
                             const std::map<std::string, std::string>& env = {},
                             const std::string& cwd = "") {
  TempDir logs;
  LaunchSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.cwd = cwd;
  spec.log_path = logs.file("output.log");
  SutProcess process(spec);
  const auto exit = process.wait_exit(timeout_s * 1000);
  if (!exit) FAIL(argv[0] << " did not finish within " << timeout_s << " s");
  process.stop(0);
  CliResult result;
  result.exit_code = exit->exited_normally() ? exit->exit_code() : 128 + exit->term_signal();
  result.output = slurp(spec.log_path);
  return result;
}

// Runs memgate with args, waits for it (fails the test if it runs past timeout_s).
inline CliResult run_memgate(const std::vector<std::string>& args, double timeout_s = 120,
                             const std::map<std::string, std::string>& env = {},
                             const std::string& cwd = "") {
  std::vector<std::string> argv{memgate_exe()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, timeout_s, env, cwd);
}

// Starts memgate with args, its output (stdout and stderr) in log_path, and waits until a line
// of it contains `text` (a progress line, a SUT's message): the test acts at that point.
inline std::unique_ptr<SutProcess> start_memgate_until(const std::vector<std::string>& args,
                                                       const std::string& log_path,
                                                       const std::string& text) {
  LaunchSpec spec;
  spec.argv = {memgate_exe()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.log_path = log_path;
  spec.watched_texts = {text};
  auto memgate = std::make_unique<SutProcess>(spec);
  REQUIRE(memgate->output()->wait_for_count(text, 1, 60'000, [] { return true; }));
  return memgate;
}

}  // namespace memgate::test
