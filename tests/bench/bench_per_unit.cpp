// Memory per unit of work (make bench): how many runs a sweep needs to tell a SUT that keeps
// 1 KiB per operation from one that keeps nothing, at 95%, on this machine. To reproduce, from
// the repository root (about 6 minutes):
//
//   cmake --build build -j2 --target memgate_bench_per_unit
//   build/bin/memgate_bench_per_unit [ROUNDS]        # default 6 rounds of 3 values
//
// Two SUTs, each run by `memgate run` as a sweep of phases.load_ops over 500, 1000 and 2000
// operations (interleaved rounds), once keeping 1 KiB per operation and once keeping nothing
// (the change from outside the scenario, as a new release would make it):
//   - the Python worker of the shipped scenarios (redis-py, a real redis-server as a service),
//     MG_WORKER_LEAK_BYTES_PER_JOB=1024: one bytes object per job, so 1 KiB plus the object's
//     own ~50 bytes;
//   - the C++ text service over stdin, --retain-bytes-per-text 1024: exactly 1 KiB per text.
// From the first r rounds of each report (3r runs), memgate's own fit (Theil-Sen, Sen's 95%
// interval) of retained_bytes per operation. The two are *separated* when the 1 KiB sweep's
// interval lies above 0 (the leak confirmed) and the 0 B sweep's lies below 1 KiB (no false
// 1 KiB). Printed: per r, both intervals and whether they are separated; then the fewest runs
// from which every larger r stays separated.
// Skips (exit 0) when redis-server or python3-redis is missing (the text service still runs).

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/model/text_file.hpp"
#include "core/stats/stats.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

constexpr double kBytesPerOp = 1024;

json worker_scenario() {
  return json::parse(R"({
    "name": "per-unit-worker",
    "services": {"redis": {
      "command": ["redis-server", "--port", "{port:redis}", "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no"],
      "ready": {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 10}}},
    "sut": {"command": ["/usr/bin/python3", "WORKER", "--redis", "127.0.0.1:{port:redis}",
                        "--queue", "jobs", "--ack-queue", "memgate:acks"],
            "ready": {"log": "worker ready", "timeout_s": 20}},
    "watch": {"interval_ms": 50},
    "phases": {"idle_s": 1, "warmup_s": 1, "load_ops": 500, "cooldown_s": 1.5},
    "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"],
               "producers": 1, "consumers": 0, "pipeline": 8, "rate_per_s": 2000,
               "job": {"template": "{\"id\":\"{job_id}\",\"text\":{text_json}}",
                       "texts": {"generate": {"count": 5000, "min_words": 4, "max_words": 40,
                                              "seed": 7}}},
               "completion": {"ack_queue": "memgate:acks"}},
    "gate": {}
  })");
}

json text_scenario() {
  return json::parse(R"({
    "name": "per-unit-text",
    "sut": {"command": ["{bindir}/memgate-text-service", "--stdin", "--dim", "32",
                        "--vocab-size", "500", "--cache-size", "64"],
            "ready": {"log": "text-service ready"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.4, "warmup_s": 0.5, "load_ops": 500, "cooldown_s": 0.6},
    "driver": {"type": "text-batch", "transport": "stdin", "batch_size": 16, "rate_per_s": 250,
               "texts": {"generate": {"count": 200, "min_words": 3, "max_words": 12, "seed": 7}}},
    "gate": {}
  })");
}

// The runs of one sweep: (value, retained bytes) in the order they ran; empty on failure.
std::vector<std::pair<double, double>> run_sweep(json scenario, int rounds,
                                                 const std::map<std::string, std::string>& env,
                                                 const std::string& dir) {
  scenario["repeat"] = rounds;
  scenario["sweep"] = {{"key", "phases.load_ops"}, {"values", {500, 1000, 2000}}};
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/sweep.json") << scenario.dump();
  LaunchSpec spec;
  spec.argv = {
      std::string(MEMGATE_TEST_BINDIR) + "/memgate", "run", "sweep.json", "--out", "out", "-q"};
  spec.cwd = dir;
  spec.env = env;
  SutProcess memgate(spec);
  const auto exit = memgate.wait_exit(1'800'000);
  memgate.stop(0);
  if (!exit || !exit->exited_normally() || exit->exit_code() != 0) return {};
  const json report = json::parse(read_text_file(dir + "/out/report.json"));
  std::vector<std::pair<double, double>> out;
  for (const auto& run : report["runs"]) {
    out.emplace_back(run["sweep_value"].get<double>(),
                     run["metrics"]["retained_bytes"].get<double>());
  }
  return out;
}

std::optional<stats::SlopeFit> fit_first(const std::vector<std::pair<double, double>>& runs,
                                         std::size_t count) {
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < count && i < runs.size(); ++i) {
    xs.push_back(runs[i].first);
    ys.push_back(runs[i].second);
  }
  return stats::fit_slope(xs, ys);
}

std::string interval(const std::optional<stats::SlopeFit>& fit) {
  if (!fit) return "-";
  if (!fit->ci) return fmt::format("{:.0f} (no interval)", fit->slope);
  return fmt::format("{:.0f} [{:.0f}, {:.0f}]", fit->slope, fit->ci->first, fit->ci->second);
}

void compare(const char* name, const json& scenario, const std::string& knob_env,
             const std::string& knob_value, int rounds, const std::string& dir) {
  fmt::print("\n{}: retained bytes per operation, slope [95% interval], from the first r rounds\n",
             name);
  const auto leak = run_sweep(scenario, rounds, {{knob_env, knob_value}}, dir + "/leak");
  const auto none = run_sweep(scenario, rounds, {}, dir + "/none");
  if (leak.empty() || none.empty()) {
    fmt::print("  a sweep failed: see {}/*/out\n", dir);
    return;
  }
  fmt::print("  {:>6} {:>4}  {:>28}  {:>28}  {}\n", "rounds", "runs", "1 KiB per op", "0 B per op",
             "separated");
  std::optional<int> from;
  for (int r = 1; r <= rounds; ++r) {
    const std::size_t runs = static_cast<std::size_t>(r) * 3;
    const auto a = fit_first(leak, runs);
    const auto b = fit_first(none, runs);
    const bool separated =
        a && b && a->ci && b->ci && a->ci->first > 0 && b->ci->second < kBytesPerOp;
    if (!separated) {
      from.reset();
    } else if (!from) {
      from = r;
    }
    fmt::print("  {:>6} {:>4}  {:>28}  {:>28}  {}\n", r, runs, interval(a), interval(b),
               separated ? "yes" : "no");
  }
  if (from) {
    fmt::print("  => separated from {} rounds on ({} runs per sweep)\n", *from, *from * 3);
  } else {
    fmt::print("  => not separated within {} rounds\n", rounds);
  }
}

bool have(const std::string& command) {
  return std::system(("command -v " + command + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(2, std::atoi(argv[1])) : 6;
  const std::string dir =
      (std::filesystem::temp_directory_path() / "memgate-bench-per-unit").string();
  std::filesystem::remove_all(dir);
  fmt::print(
      "memgate memory per unit: sweeps of 500, 1000, 2000 operations, {} rounds each, "
      "1 KiB per operation against 0\n",
      rounds);
  compare("text service (C++, stdin)", text_scenario(), "MG_TEXT_SERVICE_EXTRA",
          "--retain-bytes-per-text 1024", rounds, dir + "/text");
  if (have("redis-server") && std::system("/usr/bin/python3 -c 'import redis' 2>/dev/null") == 0) {
    json worker = worker_scenario();
    worker["sut"]["command"][1] =
        std::string(MEMGATE_SOURCE_DIR) + "/tests/workers/redis_worker.py";
    compare("Python worker (redis-py, Redis service)", worker, "MG_WORKER_LEAK_BYTES_PER_JOB",
            "1024", rounds, dir + "/worker");
  } else {
    fmt::print("\nPython worker: skipped (redis-server or python3-redis missing)\n");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
