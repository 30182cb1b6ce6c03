// Producer-only Redis driver benchmark (make bench): memgate's RedisProducerDriver, the driver of
// scenarios whose SUT is a worker consuming a Redis queue, against a redis-server of its own on a
// free loopback port. To reproduce, from the repository root (about 70 s):
//
//   cmake --build build -j2 --target memgate_bench_redis_worker
//   build/bin/memgate_bench_redis_worker            # or with `enqueue` / `ack`: that part only
//
// With 2+ CPUs, redis-server is pinned to the first and the clients to the second (part 1 also
// to the first, for comparison): on a small VM a client beside redis-server runs ping-pong about
// twice as fast as one on another CPU, so unpinned runs are bimodal.
//
// 1. Enqueue rate. Nobody consumes: the driver (completion "drain", 1 producer, open model at a
//    rate no machine reaches, so that only the replies pace it) pushes N jobs of ~100 bytes
//    rendered from a template with {job_id}; the rate is N over the time from start() until the
//    queue holds N jobs (LLEN polled every 0.5 ms from another connection). Beside it
//    `redis-benchmark -t lpush -c 1 -P <pipeline> -n N -d 100 --csv` on the same server. Median of
//    3 runs each, alternating. Target: at least 0.9x redis-benchmark.
// 2. Cost of ack tracking. A worker thread in this process (its own hiredis connection: BRPOP +
//    RPOP 255 of the job queue, then one LPUSH of the jobs' ids to the ack queue) consumes the
//    jobs; the driver runs with completion "ack_queue", then "drain" (the same worker, no acks).
//    memgate's CPU per completed job = the process's CPU (getrusage RUSAGE_SELF) minus the
//    worker's and the main thread's (their CPU clocks), over the load. The difference between
//    the two modes is what ack tracking costs per job. Also the latency (enqueue -> ack) p50/p99.
//    Median of 3 runs. The driver thread's own CPU (from /proc/self/task/TID/schedstat) is
//    printed as a cross-check. Then each mode's fixed cost: memgate CPU per second while nothing
//    completes (drain polls LLEN every 1 ms; ack_queue waits in a 10 ms BRPOP).
// Skips (exit 0) when redis-server or redis-benchmark is not installed.

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/model/errors.hpp"
#include "runtime/drivers/redis_connection.hpp"
#include "runtime/drivers/redis_producer_driver.hpp"
#include "runtime/drivers/redis_protocol.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kQueue = "jobs";
constexpr const char* kAckQueue = "memgate:acks";
constexpr int kJobBytes = 100;  // for a 6-digit id; 99 for a 5-digit one
constexpr auto kProbePeriod = std::chrono::microseconds(500);  // LLEN of the queue (enqueue)
constexpr auto kRunTimeout = std::chrono::seconds(30);         // any one run, whatever happens

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// {"id":"{job_id}","payload":"<letters>"}: kJobBytes with a 6-digit id.
std::string job_template() {
  const std::string head = R"({"id":"{job_id}","payload":")";
  const int fixed = static_cast<int>(head.size() - 8 + 2);  // without "{job_id}", with `"}`
  return head + make_payload(kJobBytes - fixed - 6) + "\"}";
}

double mean_job_bytes(std::int64_t n) {
  const JobTemplate t(job_template());
  std::string out;
  for (std::int64_t id = 1; id <= n; ++id) t.render(out, id, 0, {});
  return static_cast<double>(out.size()) / static_cast<double>(n);
}

RedisQueueDriverSpec driver_spec(int port, int pipeline, RedisCompletion::Kind completion) {
  RedisQueueDriverSpec spec;
  spec.port = port;
  spec.queues = 1;
  spec.queue_names = {kQueue};
  spec.producers = 1;
  spec.consumers = 0;
  spec.pipeline = pipeline;
  spec.job_template = job_template();
  spec.completion.kind = completion;
  if (completion == RedisCompletion::Kind::ack_queue) spec.completion.ack_queue = kAckQueue;
  return spec;
}

void flush(int port) {
  RedisConnection("127.0.0.1", port, "").command({"FLUSHALL"});
}

std::int64_t json_int(const nlohmann::json& details, const char* key, const char* phase) {
  const auto it = details.find(key);
  if (it == details.end() || !it->contains(phase)) return -1;
  return (*it)[phase].get<std::int64_t>();
}

// ---- 1. Enqueue rate -------------------------------------------------------------------------

// redis-benchmark's LPUSH rate from its --csv output.
double redis_benchmark_rate(int port, int pipeline, std::int64_t n) {
  LaunchSpec spec;
  // clang-format off
  spec.argv = {"redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(port), "-c", "1",
               "-P", std::to_string(pipeline), "-n", std::to_string(n), "-t", "lpush",
               "-d", std::to_string(kJobBytes), "--csv"};
  // clang-format on
  SutProcess tool(spec);
  const auto exit = tool.wait_exit(60'000);
  tool.stop(0);
  if (!exit || exit->exit_code() != 0) throw std::runtime_error("redis-benchmark failed");
  for (const auto& line : tool.log_tail()) {
    if (line.rfind("\"LPUSH\"", 0) == 0) return std::stod(line.substr(9));
  }
  throw std::runtime_error("no LPUSH line in redis-benchmark's output");
}

// Jobs per second for the driver to push n jobs that nobody consumes.
double memgate_push_rate(int port, int pipeline, std::int64_t n) {
  RedisQueueDriverSpec spec = driver_spec(port, pipeline, RedisCompletion::Kind::drain);
  // Open model at a rate nobody reaches: every job is due at once, so only the replies pace the
  // producer. (The closed model would stop at producers x pipeline jobs: none ever completes.)
  spec.rate_per_s = 1e12;
  RedisProducerDriver driver(spec);
  driver.connect();
  RedisConnection probe("127.0.0.1", port, "");
  driver.begin_load(n);
  const auto start = Clock::now();
  driver.start(start + kRunTimeout);
  std::int64_t queued = 0;
  auto end = start;
  while (Clock::now() < start + kRunTimeout && !driver.fatal()) {
    queued = probe.command({"LLEN", kQueue})->integer;
    end = Clock::now();
    if (queued >= n) break;
    std::this_thread::sleep_for(kProbePeriod);
  }
  const DriverReport report = driver.stop();
  const std::int64_t pushed = json_int(report.details, "jobs_pushed", "load");
  if (queued != n || pushed != n || report.errors != 0 || !report.problems.empty()) {
    throw std::runtime_error(fmt::format(
        "the driver pushed {} job(s) ({} queued, {} error(s)) of {}{}", pushed, queued,
        report.errors, n, report.problems.empty() ? "" : ": " + report.problems.front()));
  }
  return static_cast<double>(n) / seconds(end - start);
}

// ---- 2. Ack tracking -------------------------------------------------------------------------

// A worker: BRPOP + RPOP 255 on the job queue, then (acks) one LPUSH of the jobs' ids.
class Worker {
 public:
  Worker(int port, bool acks, Clock::time_point deadline)
      : thread_([this, port, acks, deadline] { run(port, acks, deadline); }) {}
  ~Worker() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // The worker thread's CPU time so far (while it runs).
  double cpu_s() {
    clockid_t id;
    timespec ts{};
    if (pthread_getcpuclockid(thread_.native_handle(), &id) != 0 || clock_gettime(id, &ts) != 0) {
      throw std::runtime_error("cannot read the worker's CPU clock");
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  const std::string& error() const { return error_; }  // after stop()

 private:
  static std::string job_id(const redisReply* job) {
    const std::string_view text(job->str, job->len);
    const auto at = text.find(R"("id":")");
    if (at == std::string_view::npos) return "0";
    const auto from = at + 6;
    return std::string(text.substr(from, text.find('"', from) - from));
  }

  void run(int port, bool acks, Clock::time_point deadline) {
    try {
      RedisConnection connection("127.0.0.1", port, "");
      redisContext* ctx = connection.context();
      const std::string round =
          resp_command({"BRPOP", kQueue, "0.01"}) + resp_command({"RPOP", kQueue, "255"});
      std::vector<std::string> ack{"LPUSH", kAckQueue};
      std::vector<const char*> argv;
      std::vector<std::size_t> lengths;
      while (!stop_.load() && Clock::now() < deadline) {
        redisAppendFormattedCommand(ctx, round.data(), round.size());
        ack.resize(2);
        std::int64_t popped = 0;
        for (int r = 0; r < 2; ++r) {
          void* raw = nullptr;
          if (redisGetReply(ctx, &raw) != REDIS_OK || !raw)
            throw std::runtime_error(connection.error());
          const RedisReply reply(static_cast<redisReply*>(raw));
          if (reply->type == REDIS_REPLY_ERROR) throw std::runtime_error(reply->str);
          if (reply->type != REDIS_REPLY_ARRAY) continue;
          for (std::size_t i = r == 0 ? 1 : 0; i < reply->elements; ++i) {
            ++popped;
            if (acks) ack.push_back(job_id(reply->element[i]));
          }
        }
        if (acks && popped > 0) {
          argv.clear();
          lengths.clear();
          for (const auto& a : ack) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
          }
          const RedisReply reply(static_cast<redisReply*>(
              redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lengths.data())));
          if (!reply || reply->type == REDIS_REPLY_ERROR)
            throw std::runtime_error("LPUSH of the acks failed");
        }
      }
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  std::atomic<bool> stop_{false};
  std::string error_;
  std::thread thread_;  // last: starts once the rest is built
};

double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double this_thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::set<int> task_ids() {
  std::set<int> ids;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    ids.insert(std::stoi(e.path().filename().string()));
  }
  return ids;
}

// A thread's CPU time from schedstat (ns, exact); -1 when the kernel does not have it.
double task_cpu_s(int tid) {
  std::ifstream in(fmt::format("/proc/self/task/{}/schedstat", tid));
  long long ns = -1;
  if (!(in >> ns)) return -1;
  return static_cast<double>(ns) * 1e-9;
}

struct AckRun {
  double cpu_us_per_job = 0;     // process - worker - main thread
  double driver_us_per_job = 0;  // the driver's thread alone (schedstat), -1 without
  double jobs_per_s = 0;
  double p50_us = -1, p99_us = -1;
};

struct AckConfig {
  const char* model;
  double rate_per_s;  // 0: closed
  int pipeline;
  std::int64_t jobs;
};

AckRun ack_run(int port, const AckConfig& c, RedisCompletion::Kind completion) {
  const bool acks = completion == RedisCompletion::Kind::ack_queue;
  RedisQueueDriverSpec spec = driver_spec(port, c.pipeline, completion);
  spec.rate_per_s = c.rate_per_s;
  RedisProducerDriver driver(spec);
  driver.connect();  // empties both queues
  const auto deadline = Clock::now() + kRunTimeout;
  Worker worker(port, acks, deadline + std::chrono::seconds(1));
  driver.begin_load(c.jobs);
  const std::set<int> before = task_ids();
  const double process0 = process_cpu_s(), worker0 = worker.cpu_s(), main0 = this_thread_cpu_s();
  const auto start = Clock::now();
  driver.start(deadline);
  std::vector<int> driver_tids;
  for (int tid : task_ids()) {
    if (!before.count(tid)) driver_tids.push_back(tid);
  }
  while (!driver.limit_reached_at() && !driver.fatal() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double process1 = process_cpu_s(), worker1 = worker.cpu_s(), main1 = this_thread_cpu_s();
  const double driver_thread = driver_tids.size() == 1 ? task_cpu_s(driver_tids[0]) : -1;
  const auto done_at = driver.limit_reached_at();
  const DriverReport report = driver.stop();
  worker.stop();
  if (!worker.error().empty()) throw std::runtime_error("worker: " + worker.error());
  if (acks && report.details.value("duplicate_acks", std::int64_t{-1}) != 0) {
    throw std::runtime_error("duplicate acks: " + report.details.dump());
  }
  if (!done_at || report.ops != c.jobs || report.errors != 0 || !report.problems.empty()) {
    throw std::runtime_error(
        fmt::format("{} of {} job(s) done{}", report.ops, c.jobs,
                    report.problems.empty() ? "" : ": " + report.problems.front()));
  }
  AckRun r;
  const double jobs = static_cast<double>(c.jobs);
  r.cpu_us_per_job = ((process1 - process0) - (worker1 - worker0) - (main1 - main0)) * 1e6 / jobs;
  r.driver_us_per_job = driver_thread < 0 ? -1 : driver_thread * 1e6 / jobs;
  r.jobs_per_s = jobs / seconds(*done_at - start);
  if (report.latency.count() > 0) {
    r.p50_us = static_cast<double>(report.latency.quantile_ns(0.5)) / 1e3;
    r.p99_us = static_cast<double>(report.latency.quantile_ns(0.99)) / 1e3;
  }
  return r;
}

// The driver's fixed cost: memgate CPU per second of a load phase in which nothing completes (no
// worker; the closed model stops after `pipeline` jobs): the ack round (BRPOP waiting up to 10 ms
// + RPOP) or the LLEN every millisecond. Median of 3 runs of 0.5 s.
double idle_cpu_us_per_s(int port, RedisCompletion::Kind completion) {
  std::vector<double> runs;
  for (int round = 0; round < 3; ++round) {
    RedisProducerDriver driver(driver_spec(port, 64, completion));
    driver.connect();
    driver.begin_load(std::nullopt);
    const auto start = Clock::now();
    driver.start(start + std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the first jobs go out
    const double process0 = process_cpu_s(), main0 = this_thread_cpu_s();
    const auto from = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double process1 = process_cpu_s(), main1 = this_thread_cpu_s();
    const auto to = Clock::now();
    const DriverReport report = driver.stop();
    if (!report.problems.empty()) throw std::runtime_error(report.problems.front());
    runs.push_back(((process1 - process0) - (main1 - main0)) * 1e6 / seconds(to - from));
    flush(port);
  }
  return median(runs);
}

struct AckMedians {
  double cpu, driver, rate, p50, p99;
};

AckMedians ack_medians(int port, const AckConfig& c, RedisCompletion::Kind completion) {
  std::vector<double> cpu, driver, rate, p50, p99;
  for (int round = 0; round < 3; ++round) {
    const AckRun r = ack_run(port, c, completion);
    cpu.push_back(r.cpu_us_per_job);
    driver.push_back(r.driver_us_per_job);
    rate.push_back(r.jobs_per_s);
    p50.push_back(r.p50_us);
    p99.push_back(r.p99_us);
    flush(port);
  }
  return {median(cpu), median(driver), median(rate), median(p50), median(p99)};
}

std::string us(double v) {
  return v < 0 ? "-" : fmt::format("{:.2f}", v);
}
std::string latency(double v) {
  return v < 0 ? "-" : fmt::format("{:.0f}", v);
}

// ---- CPU placement (see the top) ---------------------------------------------------------------
// memgate's threads inherit the main thread's mask, and so does redis-benchmark, forked from it.

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Pins one task (a thread id; 0: the calling thread) to `cpu`.
void pin(int tid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(tid, sizeof set, &set) != 0) {
    throw std::runtime_error(fmt::format("cannot pin task {} to CPU {}", tid, cpu));
  }
}

void pin_process(int pid, int cpu) {
  for (const auto& e : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
    pin(std::stoi(e.path().filename().string()), cpu);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string part = argc > 1 ? argv[1] : "";
  if (argc > 2 || (part != "" && part != "enqueue" && part != "ack")) {
    fmt::print(stderr, "usage: {} [enqueue|ack]\n", argv[0]);
    return 2;
  }
  for (const char* tool : {"redis-server", "redis-benchmark"}) {
    try {
      resolve_program(tool, "", {});
    } catch (const RunError&) {
      fmt::print("skipped: {} is not installed (apt-get install redis-server redis-tools)\n", tool);
      return 0;
    }
  }
  try {
    const int port = net::free_loopback_port();
    LaunchSpec spec;
    spec.argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                 "--save",       "",       "--appendonly",       "no"};
    spec.watched_texts = {"Ready to accept connections"};
    SutProcess redis(spec);
    if (!redis.output()->wait_for_count("Ready to accept connections", 1, 10'000,
                                        [] { return true; })) {
      fmt::print("redis-server did not start\n");
      return 1;
    }
    // redis-server on the first CPU; the clients on the second (or, for comparison, the first).
    const std::vector<int> cpus = allowed_cpus();
    const bool pinned = cpus.size() >= 2;
    if (pinned) pin_process(redis.pid(), cpus[0]);
    const std::int64_t n = 200'000;
    fmt::print("redis-server on 127.0.0.1:{}; jobs {} ({:.1f} bytes on average, ids 1..{})\n\n",
               port, job_template(), mean_job_bytes(n), n);

    if (part != "ack") {
      fmt::print(
          "1. Enqueue rate: RedisProducerDriver (drain, nobody consumes, 1 producer) vs\n"
          "   redis-benchmark -t lpush -c 1 -d {}, {} jobs, median of 3\n\n",
          kJobBytes, n);
      fmt::print("{:>22} {:>9} {:>18} {:>16} {:>8}\n", "clients' CPU", "pipeline",
                 "redis-benchmark/s", "memgate/s", "ratio");
      struct Placement {
        std::string name;
        int cpu;  // -1: not pinned
      };
      std::vector<Placement> placements;
      if (pinned) {
        placements = {{fmt::format("other: {} (redis {})", cpus[1], cpus[0]), cpus[1]},
                      {fmt::format("same: {}", cpus[0]), cpus[0]}};
      } else {
        placements = {{"one CPU, not pinned", -1}};
      }
      for (const Placement& where : placements) {
        if (where.cpu >= 0) pin(0, where.cpu);
        for (const int pipeline : {16, 64}) {
          std::vector<double> theirs, ours;
          for (int round = 0; round < 3; ++round) {  // alternating: neither gets the quieter moment
            theirs.push_back(redis_benchmark_rate(port, pipeline, n));
            flush(port);
            ours.push_back(memgate_push_rate(port, pipeline, n));
            flush(port);
          }
          const double t = median(theirs), o = median(ours);
          fmt::print("{:>22} {:>9} {:>18.0f} {:>16.0f} {:>7.2f}x\n", where.name, pipeline, t, o,
                     o / t);
        }
      }
      fmt::print("   target: at least 0.9x redis-benchmark\n\n");
    }
    if (part != "enqueue") {
      fmt::print(
          "2. Ack tracking: an in-process worker thread consumes (BRPOP + RPOP 255, then one\n"
          "   LPUSH of the ids to {}); memgate CPU = process - worker - main thread,\n"
          "   per completed job; median of 3. {}\n\n",
          kAckQueue,
          pinned ? fmt::format("redis-server on CPU {}, memgate and the worker on CPU {}.", cpus[0],
                               cpus[1])
                 : std::string("Not pinned (one CPU)."));
      if (pinned) pin(0, cpus[1]);
      fmt::print("{:>18} {:>9} {:>7} {:>10} {:>12} {:>14} {:>10} {:>9} {:>9}\n", "load", "pipeline",
                 "jobs", "completion", "memgate us/job", "driver thr us", "jobs/s", "p50 us",
                 "p99 us");
      const AckConfig configs[] = {{"open 20000/s", 20'000, 16, 60'000},
                                   {"open 50000/s", 50'000, 64, 150'000},
                                   {"closed", 0, 64, 150'000}};
      for (const AckConfig& c : configs) {
        const AckMedians a = ack_medians(port, c, RedisCompletion::Kind::ack_queue);
        const AckMedians d = ack_medians(port, c, RedisCompletion::Kind::drain);
        for (const auto& [name, m] : {std::pair{"ack_queue", a}, std::pair{"drain", d}}) {
          fmt::print("{:>18} {:>9} {:>7} {:>10} {:>14} {:>14} {:>10.0f} {:>9} {:>9}\n", c.model,
                     c.pipeline, c.jobs, name, us(m.cpu), us(m.driver), m.rate, latency(m.p50),
                     latency(m.p99));
        }
        fmt::print(
            "{:>18}   ack tracking costs {:+.2f} us of memgate CPU per job ({:+.2f} us in the "
            "driver's thread)\n",
            "", a.cpu - d.cpu, a.driver < 0 || d.driver < 0 ? 0.0 : a.driver - d.driver);
      }
      const double idle_acks = idle_cpu_us_per_s(port, RedisCompletion::Kind::ack_queue);
      const double idle_drain = idle_cpu_us_per_s(port, RedisCompletion::Kind::drain);
      fmt::print(
          "\n   fixed cost, nothing completing: ack_queue {:.0f} us of memgate CPU per s (a BRPOP "
          "round every 10 ms),\n   drain {:.0f} us per s (an LLEN every 1 ms)\n",
          idle_acks, idle_drain);
    }
    redis.stop(5);
  } catch (const std::exception& e) {
    fmt::print("failed: {}\n", e.what());
    return 1;
  }
  return 0;
}
