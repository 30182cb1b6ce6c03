// Soak of the harness itself (make soak; label soak, not in `make test`): memgate runs the
// shipped redis-queue scenario at full speed (closed model, rate_per_s 0) for SECONDS (default
// 600) while this program samples memgate's own process once a second: its RSS and its CPU time
// (memgate's threads only, not redis-server's). Prints memgate's RSS growth per minute (Theil-Sen
// slope after the first minute, when the allocator has warmed up) and its CPU share of one core.
// Fails (exit 1) when memgate's RSS grows by more than 256 KiB/min: a leak in the harness. The
// samples memgate keeps grow it by design: 24 bytes per 50 ms sample, ~28 KiB/min, of each tree
// (the SUT's, redis-server's) and of each process (until its series holds 16,384 samples, 13.7
// minutes, then thinned): ~110 KiB/min here.
//
//   build/bin/memgate_bench_soak [SECONDS]

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
#include "core/stats/stats.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using Clock = std::chrono::steady_clock;

namespace {


// utime + stime of pid in seconds (fields 14 and 15 of /proc/PID/stat), or -1 once it is gone.
double cpu_seconds(int pid) {
  const std::string stat = read_text_file(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 600;
  if (seconds < 120) {
    fmt::print(stderr, "usage: memgate_bench_soak [SECONDS >= 120]\n");
    return 2;
  }
  const std::string out = fmt::format("/tmp/memgate-soak-{}", ::getpid());
  LaunchSpec spec;
  spec.argv = {std::string(MEMGATE_TEST_BINDIR) + "/memgate",
               "run",
               std::string(MEMGATE_SOURCE_DIR) + "/scenarios/redis-queue.json",
               "--repeat", "1",
               "--out", out,
               "--set", fmt::format("phases.load_s={}", seconds),
               "--set", "driver.rate_per_s=0",
               "--quiet"};
  spec.log_path = out + ".log";
  const long page_bytes = ::sysconf(_SC_PAGESIZE);
  SutProcess memgate(spec);
  const auto t0 = Clock::now();
  std::vector<double> minutes, rss_bytes;
  double cpu_s = 0;
  fmt::print("soak: memgate pid {}, redis-queue at full speed for {} s\n", memgate.pid(), seconds);
  for (auto next = t0; memgate.running(); next += std::chrono::seconds(1)) {
    std::this_thread::sleep_until(next);
    const auto statm =
        procfs::parse_statm(read_text_file(fmt::format("/proc/{}/statm", memgate.pid())), page_bytes);
    const std::int64_t rss = statm ? statm->rss_bytes : 0;
    const double cpu = cpu_seconds(memgate.pid());
    if (rss == 0 || cpu < 0 || !memgate.running()) break;  // 0: unreadable, or a zombie
    cpu_s = cpu;
    minutes.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / 60);
    rss_bytes.push_back(static_cast<double>(rss));
    if (minutes.size() % 60 == 0) {
      fmt::print("  {:4.0f} s  memgate RSS {:.1f} MiB  CPU {:.1f} s\n", minutes.back() * 60,
                 rss_bytes.back() / 1048576, cpu_s);
    }
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto exit = memgate.wait_exit(120'000);
  memgate.stop(0);
  if (!exit || !exit->exited_normally() || exit->exit_code() != 0) {
    fmt::print(stderr, "soak: memgate failed ({}): see {}\n",
               exit ? exit->describe() : "did not finish", spec.log_path);
    return 1;
  }
  // From the second minute on: the first holds the idle and warm-up phases and the allocator's
  // first growth.
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < minutes.size(); ++i) {
    if (minutes[i] >= 1.0) {
      xs.push_back(minutes[i]);
      ys.push_back(rss_bytes[i]);
    }
  }
  const auto slope = stats::theil_sen_slope(xs, ys);
  const std::string report = read_text_file(out + "/report.json");
  const auto ops_at = report.find("\"throughput_per_s\"");
  fmt::print("soak: {} samples over {:.0f} s; memgate RSS {:.1f} MiB at 1 min, {:.1f} MiB at the "
             "end, max {:.1f} MiB\n", minutes.size(), wall_s, ys.empty() ? 0 : ys.front() / 1048576,
             ys.empty() ? 0 : ys.back() / 1048576,
             *std::max_element(rss_bytes.begin(), rss_bytes.end()) / 1048576);
  fmt::print("soak: memgate RSS growth {:.1f} KiB/min (Theil-Sen after the first minute)\n",
             slope.value_or(0) / 1024);
  fmt::print("soak: memgate CPU {:.1f} s in {:.0f} s = {:.1f}% of one core (driver + watcher)\n",
             cpu_s, wall_s, 100 * cpu_s / wall_s);
  if (ops_at != std::string::npos) {
    fmt::print("soak: load {}\n", report.substr(ops_at, report.find_first_of(",}", ops_at) - ops_at));
  }
  fmt::print("soak: report {}/report.json, memgate's output {}\n", out, spec.log_path);
  if (!slope || *slope > 256 * 1024) {
    fmt::print(stderr, "soak: FAIL: memgate's RSS is not flat\n");
    return 1;
  }
  return 0;
}
