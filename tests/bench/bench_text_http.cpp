// HTTP text-batch driver benchmark (make bench): requests and texts per second of memgate's
// HTTP driver against the text service, beside wrk POSTing the very same body to the same
// endpoint with the same connections, at batch 1 and batch 64. Target: at least 0.8x wrk's
// request rate (the harness must not be the bottleneck).

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/model/errors.hpp"
#include "runtime/drivers/http_batch_driver.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConnections = 4;
constexpr int kSeconds = 5;

TextBatchDriverSpec spec_for(int port, int batch) {
  TextBatchDriverSpec spec;
  spec.url = fmt::format("http://127.0.0.1:{}/embed", port);
  spec.batch_size = batch;
  spec.concurrency = kConnections;
  TextGenerateSource texts;
  texts.count = batch;  // one body, sent again and again, as wrk does
  texts.min_words = 8;
  texts.max_words = 24;
  spec.texts = texts;
  return spec;
}

double wrk_requests_per_s(int port, const std::string& body_file, const std::string& dir) {
  const std::string script = dir + "/post.lua";
  std::ofstream(script) << "local f = io.open('" << body_file << "', 'rb')\n"
                        << "wrk.method = 'POST'\nwrk.body = f:read('*a')\nf:close()\n"
                        << "wrk.headers['Content-Type'] = 'application/json'\n";
  LaunchSpec spec;
  spec.argv = {"wrk", "-t1", fmt::format("-c{}", kConnections), fmt::format("-d{}s", kSeconds),
               "-s", script, fmt::format("http://127.0.0.1:{}/embed", port)};
  SutProcess wrk(spec);
  const auto exit = wrk.wait_exit((kSeconds + 30) * 1000.0);
  wrk.stop(0);
  if (!exit || exit->exit_code() != 0) throw std::runtime_error("wrk failed");
  for (const auto& line : wrk.log_tail()) {
    const auto at = line.find("Requests/sec:");
    if (at != std::string::npos) return std::stod(line.substr(at + 13));
  }
  throw std::runtime_error("no Requests/sec in wrk's output");
}

double memgate_requests_per_s(int port, int batch) {
  const auto spec = spec_for(port, batch);
  HttpBatchDriver driver(spec, std::make_shared<const TextCorpus>(spec.texts));
  driver.connect();
  driver.begin_load(std::nullopt);
  const auto start = Clock::now();
  driver.start(start + std::chrono::seconds(kSeconds + 60));
  std::this_thread::sleep_for(std::chrono::seconds(kSeconds));
  const DriverReport r = driver.stop();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (r.errors != 0) throw std::runtime_error("the driver saw errors");
  return r.details["batches"]["load"].get<double>() / seconds;
}

}  // namespace

int main() {
  try {
    resolve_program("wrk", "", {});
  } catch (const RunError&) {
    fmt::print("skipped: wrk is not installed (apt-get install wrk)\n");
    return 0;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / "memgate-bench-http").string();
  std::filesystem::create_directories(dir);
  const int port = net::free_loopback_port();
  LaunchSpec service;
  service.argv = {std::string(MEMGATE_TEST_BINDIR) + "/memgate-text-service", "--port",
                  std::to_string(port)};
  service.watched_texts = {"listening on"};
  SutProcess sut(service);
  if (!sut.output()->wait_for_count("listening on", 1, 10'000, [] { return true; })) return 1;

  fmt::print("memgate HTTP text-batch driver vs wrk: same body, same service, {} connections, "
             "{} s each, best of 3\n\n", kConnections, kSeconds);
  fmt::print("{:>6} {:>14} {:>14} {:>7} {:>16}\n", "batch", "wrk req/s", "memgate req/s", "ratio",
             "memgate texts/s");
  for (int batch : {1, 64}) {
    const auto spec = spec_for(port, batch);
    const std::string body_file = dir + fmt::format("/body-{}.json", batch);
    std::ofstream(body_file, std::ios::binary) << TextCorpus(spec.texts).json_body(0, batch);
    double theirs = 0, ours = 0;
    for (int round = 0; round < 3; ++round) {
      theirs = std::max(theirs, wrk_requests_per_s(port, body_file, dir));
      ours = std::max(ours, memgate_requests_per_s(port, batch));
    }
    fmt::print("{:>6} {:>14.0f} {:>14.0f} {:>6.2f}x {:>16.0f}\n", batch, theirs, ours,
               ours / theirs, ours * batch);
  }
  fmt::print("\ntarget: at least 0.8x wrk's request rate\n");
  sut.stop(5);
  std::filesystem::remove_all(dir);
  return 0;
}
