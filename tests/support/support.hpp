#pragma once

// Helpers of the integration tests: paths of the built programs, running the memgate CLI as a
// black box, temporary folders, process liveness.

#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

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
#include "runtime/process/sut_process.hpp"

namespace memgate::test {

inline std::string bindir() { return MEMGATE_TEST_BINDIR; }
inline std::string test_sut() { return bindir() + "/mg-test-sut"; }
inline std::string memgate_exe() { return bindir() + "/memgate"; }

inline std::string slurp(const std::string& path) { return read_text_file(path); }

// A fresh folder under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "memgate-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::string path_;
};

// True while pid is a process that is not a zombie.
inline bool process_alive(int pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X';
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

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs memgate with args, waits for it (fails the test if it runs past timeout_s).
inline CliResult run_memgate(const std::vector<std::string>& args, double timeout_s = 120,
                             const std::map<std::string, std::string>& env = {},
                             const std::string& cwd = "") {
  TempDir logs;
  LaunchSpec spec;
  spec.argv = {memgate_exe()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = env;
  spec.cwd = cwd;
  spec.log_path = logs.file("output.log");
  SutProcess process(spec);
  const auto exit = process.wait_exit(timeout_s * 1000);
  if (!exit) FAIL("memgate did not finish within " << timeout_s << " s");
  process.stop(0);
  CliResult result;
  result.exit_code = exit->exited_normally() ? exit->exit_code() : 128 + exit->term_signal();
  result.output = slurp(spec.log_path);
  return result;
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
