// HTTP text-batch driver benchmark (make bench): requests and texts per second of memgate's
// HTTP driver against the text service, beside wrk POSTing the very same body to the same
// endpoint with the same connections, at batch 1 and batch 64, on two endpoints:
// - keep-alive: the service keeps each connection open;
// - closing: the service answers HTTP/1.0 and closes after each answer (as Python's
//   http.server does), so every request opens a connection.
// A third figure is memgate checking every answer's entries (response.count_pointer).
// Target: at least 0.9x wrk's request rate on both (the harness must not be the bottleneck).

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
constexpr int kRounds = 3;

TextBatchDriverSpec spec_for(int port, int batch, bool count) {
  TextBatchDriverSpec spec;
  spec.url = fmt::format("http://127.0.0.1:{}/embed", port);
  spec.batch_size = batch;
  spec.concurrency = kConnections;
  if (count) spec.response.count_pointer = "/vectors";
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
    if (line.find("Non-2xx") != std::string::npos ||
        line.find("Socket errors") != std::string::npos) {
      throw std::runtime_error("wrk saw errors: " + line);
    }
  }
  for (const auto& line : wrk.log_tail()) {
    const auto at = line.find("Requests/sec:");
    if (at != std::string::npos) return std::stod(line.substr(at + 13));
  }
  throw std::runtime_error("no Requests/sec in wrk's output");
}

double memgate_requests_per_s(const TextBatchDriverSpec& spec) {
  HttpBatchDriver driver(spec, std::make_shared<const TextCorpus>(spec.texts));
  driver.connect();
  driver.begin_load(std::nullopt);
  const auto start = Clock::now();
  driver.start(start + std::chrono::seconds(kSeconds + 60));
  std::this_thread::sleep_for(std::chrono::seconds(kSeconds));
  const DriverReport r = driver.stop();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (r.errors != 0) {
    throw std::runtime_error(fmt::format("the driver saw errors: {}", r.details.dump()));
  }
  return r.details["batches"]["load"].get<double>() / seconds;
}

struct Service {
  int port = net::free_loopback_port();
  std::unique_ptr<SutProcess> process;
  explicit Service(bool closing) {
    LaunchSpec spec;
    spec.argv = {std::string(MEMGATE_TEST_BINDIR) + "/memgate-text-service", "--port",
                 std::to_string(port)};
    if (closing) spec.argv.push_back("--http10");
    spec.watched_texts = {"listening on"};
    process = std::make_unique<SutProcess>(spec);
    if (!process->output()->wait_for_count("listening on", 1, 10'000, [] { return true; })) {
      throw std::runtime_error("the text service did not start");
    }
  }
  ~Service() { process->stop(5); }
};

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
  fmt::print(
      "memgate HTTP text-batch driver vs wrk: same body, same service, {} connections, "
      "{} s each, best of {}\n\n",
      kConnections, kSeconds, kRounds);
  fmt::print("{:>10} {:>6} {:>11} {:>14} {:>7} {:>16} {:>18}\n", "endpoint", "batch", "wrk req/s",
             "memgate req/s", "ratio", "memgate texts/s", "+count_pointer");
  bool all_met = true;
  for (bool closing : {false, true}) {
    Service service(closing);
    for (int batch : {1, 64}) {
      const std::string body_file = dir + fmt::format("/body-{}.json", batch);
      std::string body = R"({"texts":)";
      TextCorpus(spec_for(service.port, batch, false).texts).append_json_array(body, 0, batch);
      body += "}";
      std::ofstream(body_file, std::ios::binary) << body;
      double theirs = 0, ours = 0, counted = 0;
      for (int round = 0; round < kRounds; ++round) {
        theirs = std::max(theirs, wrk_requests_per_s(service.port, body_file, dir));
        ours = std::max(ours, memgate_requests_per_s(spec_for(service.port, batch, false)));
        counted = std::max(counted, memgate_requests_per_s(spec_for(service.port, batch, true)));
      }
      all_met = all_met && ours >= 0.9 * theirs;
      fmt::print("{:>10} {:>6} {:>11.0f} {:>14.0f} {:>6.2f}x {:>16.0f} {:>11.0f} ({:.2f}x)\n",
                 closing ? "closing" : "keep-alive", batch, theirs, ours, ours / theirs,
                 ours * batch, counted, counted / theirs);
    }
  }
  fmt::print("\ntarget: at least 0.9x wrk's request rate on both endpoints: {}\n",
             all_met ? "met" : "NOT met");
  std::filesystem::remove_all(dir);
  return 0;
}
