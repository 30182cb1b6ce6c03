// Gate quality benchmark (make bench): how often the gate cries wolf and how often it catches a
// real change. A small SUT (tests/sut/test_sut.cpp) holds 64 MiB plus a random 0-2 MiB (noise
// between runs) while it works 1.2 s. After one baseline (5 runs) it is checked N times each:
//   unchanged                  -> any "regressed" is a false alarm      (target 0 of 20)
//   10% bigger footprint       -> "regressed" is a detection            (target >= 19 of 20)
//   a small leak (12 MiB/min)  -> "regressed" is a detection            (target >= 19 of 20)
// The change is injected from outside the scenario (MG_TEST_SUT_EXTRA), as a new release would.

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "runtime/process/sut_process.hpp"

using namespace memgate;

namespace {

constexpr const char* kScenario = R"({
  "name": "gate-quality",
  "description": "64 MiB plus 0-2 MiB of noise, held while working 1.2 s",
  "sut": {"command": ["{bindir}/mg-test-sut", "--alloc-mib", "64", "--jitter-mib", "2",
                      "--run-ms", "1200"]},
  "watch": {"interval_ms": 10},
  "phases": {"warmup_s": 0.2},
  "driver": {"type": "command"},
  "repeat": 3,
  "gate": {
    "peak_bytes": {"max_increase_pct": 5, "min_increase_bytes": 2097152},
    "plateau_bytes": {"max_increase_pct": 5, "min_increase_bytes": 2097152},
    "growth_bytes_per_min": {"max_bytes_per_min": 4194304}
  }
})";

int run_memgate(const std::vector<std::string>& args, const std::string& extra,
                const std::string& dir) {
  LaunchSpec spec;
  spec.argv = {std::string(MEMGATE_TEST_BINDIR) + "/memgate"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = dir;
  if (!extra.empty()) spec.env["MG_TEST_SUT_EXTRA"] = extra;
  SutProcess memgate(spec);
  const auto exit = memgate.wait_exit(600'000);
  memgate.stop(0);
  return exit && exit->exited_normally() ? exit->exit_code() : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string dir = (std::filesystem::temp_directory_path() / "memgate-bench-gate").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/gate-quality.json") << kScenario;
  fmt::print("memgate gate quality: {} checks per condition (3 runs each) against one baseline "
             "(5 runs)\n\n", n);
  if (run_memgate({"baseline", "gate-quality.json", "--baselines", "b", "-q"}, "", dir) != 0) {
    fmt::print("the baseline could not be made\n");
    return 1;
  }
  struct Condition {
    const char* name;
    const char* extra;
    bool changed;
  };
  const Condition conditions[] = {
      {"unchanged", "", false},
      {"10% bigger footprint (+7 MiB)", "--extra-mib 7", true},
      {"small leak (200 B/ms = 11.4 MiB/min)", "--leak-bytes-per-ms 200", true},
  };
  fmt::print("{:<38} {:>9} {:>6} {:>13} {:>7}   {}\n", "condition", "regressed", "pass",
             "inconclusive", "other", "result");
  for (const Condition& c : conditions) {
    std::map<int, int> exits;
    for (int i = 0; i < n; ++i) {
      ++exits[run_memgate({"check", "gate-quality.json", "--baselines", "b", "--out", "out", "-q"},
                          c.extra, dir)];
    }
    const int regressed = exits[1], passed = exits[0], inconclusive = exits[4];
    const int other = n - regressed - passed - inconclusive;
    const std::string result =
        c.changed ? fmt::format("detections {} of {} (target >= {})", regressed, n, n - n / 20)
                  : fmt::format("false alarms {} of {} (target 0)", regressed, n);
    fmt::print("{:<38} {:>9} {:>6} {:>13} {:>7}   {}\n", c.name, regressed, passed, inconclusive,
               other, result);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
