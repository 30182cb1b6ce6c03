// Explain benchmark (make bench): how much `memgate explain` slows the SUT down. The same
// command scenario (its whole life is the load phase) runs under `memgate run` and under
// `memgate explain`, and the load phase's length is compared (best of kRounds each, the
// machine's noise being one-sided):
//   - native: mg-explain-sut making 1 000 000 small allocations (64 B, leaked) from one function,
//     then an 8 MiB scratch buffer: heaptrack unwinds the stack of every call;
//   - Python: a loop of 1 000 000 dict and bytes allocations, 100 000 of them kept: tracemalloc
//     (1 frame) records where every allocation of the interpreter is made; the exit snapshot is
//     part of the command's life;
//   - the shipped Redis worker (tests/workers/redis_worker.py) taking 3000 jobs as fast as it can:
//     its CPU time per job (cpu_us_per_op) alone and under tracemalloc.
// Figures: without and with the tool, and the ratio. Nothing is asserted.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/text_file.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

constexpr int kRounds = 3;

// The benchmark's own folder under /tmp, emptied first.
struct Dir {
  std::string path = (std::filesystem::temp_directory_path() / "memgate-bench-explain").string();
  Dir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name)) << content;
    return file(name);
  }
};

const char* kPythonLoad =
    "kept = []\n"
    "for i in range(1000000):\n"
    "    job = {'id': i, 'payload': b'x' * 200}\n"
    "    if i % 10 == 0:\n"
    "        kept.append(job)\n";

double load_ms(const std::string& report_path) {
  const json report = json::parse(read_text_file(report_path));
  for (const auto& phase : report["runs"][0]["phases"]) {
    if (phase["name"] == "load") {
      return phase["end_ms"].get<double>() - phase["start_ms"].get<double>();
    }
  }
  throw std::runtime_error("no load phase in " + report_path);
}

void memgate(const std::vector<std::string>& args, const std::string& log) {
  LaunchSpec spec;
  spec.argv = {std::string(MEMGATE_TEST_BINDIR) + "/memgate"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.log_path = log;
  SutProcess p(spec);
  const auto exit = p.wait_exit(600'000);
  p.stop(0);
  if (!exit || !exit->exited_normally() || exit->exit_code() != 0) {
    throw std::runtime_error("memgate failed: " + read_text_file(log));
  }
}

double cpu_us_per_op(const std::string& report_path) {
  return json::parse(read_text_file(report_path))["metrics"]["cpu_us_per_op"].get<double>();
}

// The best (lowest) figure of `memgate run` and of `memgate explain` on the scenario.
std::pair<double, double> measure(Dir& dir, const json& scenario,
                                  double (*figure)(const std::string&) = load_ms) {
  const std::string file =
      dir.write(scenario["name"].get<std::string>() + ".json", scenario.dump());
  double plain = 1e18, explained = 1e18;
  for (int round = 0; round < kRounds; ++round) {
    memgate({"run", file, "--repeat", "1", "--out", dir.file("run"), "--quiet"}, dir.file("log"));
    plain = std::min(plain, figure(dir.file("run/report.json")));
    memgate({"explain", file, "--out", dir.file("explain"), "--quiet"}, dir.file("log"));
    explained = std::min(explained, figure(dir.file("explain/report.json")));
  }
  return {plain, explained};
}

void print(const char* what, std::pair<double, double> v, const char* unit = "ms") {
  fmt::print("{:<42} {:>8.1f} {} alone, {:>8.1f} {} explained: {:.1f}x\n", what, v.first, unit,
             v.second, unit, v.second / v.first);
}

bool have(const std::string& program) {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
    if (std::filesystem::exists(dir + program)) return true;
  }
  return false;
}

}  // namespace

int main() {
  Dir dir;
  json native = json::parse(R"({"name": "bench-native", "sut": {"command":
      ["{bindir}/mg-explain-sut", "--parser-leaks", "1000000", "--bytes", "64",
       "--scratch-mib", "8"]}, "watch": {"interval_ms": 50}, "phases": {},
      "driver": {"type": "command"}})");
  json python = json::parse(R"({"name": "bench-python", "sut": {"command":
      ["/usr/bin/python3", "-c", "CODE"]}, "watch": {"interval_ms": 50},
      "phases": {}, "driver": {"type": "command"}})");
  python["sut"]["command"][2] = kPythonLoad;
  fmt::print("memgate explain: the SUT's load phase alone and explained (best of {})\n", kRounds);
  print("native, heaptrack (1M mallocs): load", measure(dir, native));
  print("Python, tracemalloc (1M objects): load", measure(dir, python));
  // The shipped worker as it runs in scenarios/redis-worker.json (redis-py, 3000 jobs as fast
  // as it takes them): its CPU time per job, which wall-clock figures would hide behind Redis.
  if (!have("redis-server")) {
    fmt::print("worker: skipped (redis-server is not installed: make deps)\n");
    return 0;
  }
  json worker =
      json::parse(read_text_file(std::string(MEMGATE_SOURCE_DIR) + "/scenarios/redis-worker.json"));
  worker["sut"]["command"][1] = std::string(MEMGATE_SOURCE_DIR) + "/tests/workers/redis_worker.py";
  worker["phases"] = {{"idle_s", 0.5}, {"load_ops", 3000}, {"cooldown_s", 0.5}};
  worker["driver"].erase("rate_per_s");
  print("Python worker, tracemalloc (CPU per job)", measure(dir, worker, cpu_us_per_op), "us");
  return 0;
}
