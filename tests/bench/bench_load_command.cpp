// Load-command benchmark (make bench): what running a team's own load generator under memgate
// costs it. wrk loads the text service with the shipped scenario's Lua body (3 s of warm-up, then
// 5 s measured), once alone and once as the load-command driver of `memgate run` (the watcher
// sampling the SUT and wrk every 50 ms, high-water marks, CPU accounting, the Redis-less
// session). Figures: wrk's Requests/sec both ways (best of 5), and memgate's own CPU in the load
// phase. Target: at least 0.9x wrk's rate alone (memgate must not get in the load's way;
// wrk's rate alone moves by ±5% from run to run here).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

constexpr int kWarmupS = 3;
constexpr int kLoadS = 5;
constexpr int kRounds = 5;

const std::string kLua = std::string(MEMGATE_SOURCE_DIR) + "/scenarios/load/embed_batches.lua";
const std::string kService = std::string(MEMGATE_TEST_BINDIR) + "/memgate-text-service";

std::vector<std::string> wrk_argv(int seconds, const std::string& port) {
  return {"wrk",       "-t1", "-c4", fmt::format("-d{}s", seconds),
          "--latency", "-s",  kLua,  "http://127.0.0.1:" + port + "/embed",
          "--",        "32",  "7"};
}

double requests_per_s(const std::string& output) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    throw std::runtime_error("no Requests/sec in wrk's output: " + output);
  }
  return std::stod(m[1]);
}

std::string run_to_end(const std::vector<std::string>& argv, const std::string& log) {
  LaunchSpec spec;
  spec.argv = argv;
  spec.log_path = log;
  SutProcess p(spec);
  const auto exit = p.wait_exit(600'000);
  p.stop(0);
  if (!exit || !exit->exited_normally() || exit->exit_code() != 0) {
    throw std::runtime_error(fmt::format("{} failed: {}", argv[0], read_text_file(log)));
  }
  return read_text_file(log);
}

double wrk_alone(const std::string& dir) {
  const int port = net::free_loopback_port();
  LaunchSpec spec;
  spec.argv = {kService,       "--port", std::to_string(port),
               "--cache-size", "20000",  "--vocab-size",
               "50000",        "--dim",  "64"};
  spec.watched_texts = {"listening on"};
  SutProcess service(spec);
  if (!service.output()->wait_for_count("listening on", 1, 10'000, [] { return true; })) {
    throw std::runtime_error("the text service did not start");
  }
  run_to_end(wrk_argv(kWarmupS, std::to_string(port)), dir + "/warmup.log");
  const double rate =
      requests_per_s(run_to_end(wrk_argv(kLoadS, std::to_string(port)), dir + "/wrk.log"));
  service.stop(5);
  return rate;
}

struct UnderMemgate {
  double requests_per_s = 0;
  double memgate_core_pct = 0;  // memgate's CPU in the load phase, % of one core
};

UnderMemgate wrk_under_memgate(const std::string& dir) {
  json s = json::parse(
      read_text_file(std::string(MEMGATE_SOURCE_DIR) + "/scenarios/text-batch-wrk.json"));
  s["phases"] = {{"idle_s", 0.5}, {"warmup_s", kWarmupS}, {"load_s", kLoadS}, {"cooldown_s", 0.5}};
  s["driver"]["command"] = wrk_argv(0, "{port}");
  s["driver"]["command"][3] = "-d{load_s}s";
  const std::string file = dir + "/byo.json";
  std::ofstream(file) << s.dump();
  run_to_end({std::string(MEMGATE_TEST_BINDIR) + "/memgate", "run", file, "--repeat", "1",
              "--quiet", "--out", dir + "/out"},
             dir + "/memgate.log");
  const json report = json::parse(read_text_file(dir + "/out/report.json"));
  UnderMemgate u;
  u.requests_per_s = requests_per_s(read_text_file(dir + "/out/run1/load.out"));
  for (const auto& c : report["runs"][0]["cpu"]) {
    if (c["phase"] != "load") continue;
    u.memgate_core_pct = c["memgate_ms"].get<double>() / c["elapsed_ms"].get<double>() * 100;
  }
  return u;
}

}  // namespace

int main() {
  try {
    resolve_program("wrk", "", {});
  } catch (const RunError&) {
    fmt::print("skipped: wrk is not installed (apt-get install wrk)\n");
    return 0;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / "memgate-bench-load").string();
  std::filesystem::create_directories(dir);
  fmt::print(
      "wrk alone vs wrk as memgate's load command: text service, 4 connections, {} s "
      "warm-up then {} s, best of {}\n\n",
      kWarmupS, kLoadS, kRounds);
  double alone = 0;
  UnderMemgate under;
  for (int round = 0; round < kRounds; ++round) {
    alone = std::max(alone, wrk_alone(dir));
    const UnderMemgate u = wrk_under_memgate(dir);
    if (u.requests_per_s > under.requests_per_s) under = u;
  }
  fmt::print("{:>28} {:>12.0f} req/s\n", "wrk alone", alone);
  fmt::print("{:>28} {:>12.0f} req/s ({:.2f}x), memgate's own CPU {:.1f}% of a core\n",
             "wrk under memgate", under.requests_per_s, under.requests_per_s / alone,
             under.memgate_core_pct);
  fmt::print("\ntarget: at least 0.9x wrk's rate alone: {}\n",
             under.requests_per_s >= 0.9 * alone ? "met" : "NOT met");
  std::filesystem::remove_all(dir);
  return 0;
}
