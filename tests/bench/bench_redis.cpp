// Redis driver benchmark (make bench): LPUSH throughput of memgate's redis-queue driver beside
// redis-benchmark, against the same redis-server, same payload (3 bytes), same operation count,
// one after the other. Prints ops/s of each and their ratio for 1 connection with pipeline 1
// and 64, and 4 connections with pipeline 64. Target: at least 0.9x redis-benchmark.

#include <fmt/format.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "core/model/errors.hpp"
#include "runtime/drivers/redis_connection.hpp"
#include "runtime/drivers/redis_queue_driver.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  int connections;
  int pipeline;
  std::int64_t ops;
};

// redis-benchmark's LPUSH rate from its --csv output.
double redis_benchmark_rate(int port, const Config& c) {
  LaunchSpec spec;
  spec.argv = {"redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(port),
               "-c", std::to_string(c.connections), "-P", std::to_string(c.pipeline),
               "-n", std::to_string(c.ops), "-t", "lpush", "-d", "3", "--csv"};
  SutProcess tool(spec);
  const auto exit = tool.wait_exit(600'000);
  tool.stop(0);
  if (!exit || exit->exit_code() != 0) throw std::runtime_error("redis-benchmark failed");
  for (const auto& line : tool.log_tail()) {
    if (line.rfind("\"LPUSH\"", 0) == 0) return std::stod(line.substr(9));
  }
  throw std::runtime_error("no LPUSH line in redis-benchmark's output");
}

double memgate_rate(int port, const Config& c) {
  RedisQueueDriverSpec spec;
  spec.port = port;
  spec.producers = c.connections;
  spec.consumers = 0;
  spec.pipeline = c.pipeline;
  spec.payload_bytes = 3;
  RedisQueueDriver driver(spec);
  driver.connect();
  driver.begin_load(c.ops);
  const auto start = Clock::now();
  driver.start(start + std::chrono::minutes(10));
  while (!driver.limit_reached_at()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto end = *driver.limit_reached_at();
  const DriverReport report = driver.stop();
  if (report.ops != c.ops || report.errors != 0) throw std::runtime_error("driver miscounted");
  return static_cast<double>(c.ops) / std::chrono::duration<double>(end - start).count();
}

void clear(int port) { RedisConnection(  "127.0.0.1", port, "").command({"FLUSHALL"}); }

}  // namespace

int main() {
  try {
    resolve_program("redis-benchmark", "", {});
  } catch (const RunError&) {
    fmt::print("skipped: redis-benchmark is not installed (apt-get install redis-tools)\n");
    return 0;
  }
  const int port = net::free_loopback_port();
  LaunchSpec spec;
  spec.argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no"};
  spec.watched_texts = {"Ready to accept connections"};
  SutProcess redis(spec);
  if (!redis.output()->wait_for_count("Ready to accept connections", 1, 10'000,
                                      [] { return true; })) {
    fmt::print("redis-server did not start\n");
    return 1;
  }
  fmt::print("memgate redis-queue driver vs redis-benchmark: LPUSH, 3-byte payload, same server\n\n");
  fmt::print("{:>12} {:>9} {:>10} {:>18} {:>16} {:>8}\n", "connections", "pipeline", "ops",
             "redis-benchmark/s", "memgate/s", "ratio");
  const Config configs[] = {{1, 1, 100'000}, {1, 64, 3'000'000}, {4, 64, 6'000'000}};
  for (const Config& c : configs) {
    // Best of three each, alternating, so that neither tool gets the quieter moment.
    double theirs = 0, ours = 0;
    for (int round = 0; round < 3; ++round) {
      theirs = std::max(theirs, redis_benchmark_rate(port, c));
      clear(port);
      ours = std::max(ours, memgate_rate(port, c));
      clear(port);
    }
    fmt::print("{:>12} {:>9} {:>10} {:>18.0f} {:>16.0f} {:>7.2f}x\n", c.connections, c.pipeline,
               c.ops, theirs, ours, ours / theirs);
  }
  fmt::print("\ntarget: at least 0.9x redis-benchmark, aiming for 1.0x\n");
  redis.stop(5);
  return 0;
}
