#pragma once

// A report with everything a renderer shows, and the verdict and baseline of a check of it;
// time, host and every figure fixed, so that renderings can be compared with golden files.

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/metrics/run_metrics.hpp"
#include "core/report/report.hpp"

namespace memgate::test {

inline Report fixture_report(const std::string& name = "golden-scenario",
                             const std::string& description = "A steady queue, for golden files.") {
  Report r;
  r.scenario = name;
  r.description = description;
  r.scenario_hash = "0123456789abcdef";
  r.driver = "redis-queue";
  r.created_at = "2026-01-02T03:04:05Z";
  r.environment = {{"cpu_model", "Golden CPU"}, {"cores", 2}, {"memory_bytes", 8589934592LL},
                   {"kernel", "Linux 6.1.0"}, {"arch", "x86_64"}, {"hostname", "golden-host"},
                   {"speed_reference_ms", 45.5}};
  for (int index = 1; index <= 2; ++index) {
    RunRecord run;
    run.index = index;
    run.interval_ms = 100;
    run.phases = {{"idle", 0, 1000}, {"warmup", 1000, 2000}, {"load", 2000, 6000},
                  {"cooldown", 6000, 8000}};
    for (int k = 0; k <= 80; ++k) {
      const double t = k * 100.0;
      const std::int64_t mib = t < 2000 ? 10 : t < 6000 ? 10 + static_cast<std::int64_t>((t - 2000) / 1000) : 13;
      const std::int64_t bytes = mib * 1024 * 1024 + index * 4096;
      run.samples.push_back({t, bytes, bytes - 6 * 1024 * 1024});  // 6 MiB of code and files
    }
    run.peak = {14 * 1024 * 1024, 18 * 1024 * 1024, 0, std::nullopt, true};
    run.max_processes = 1;
    run.metrics = compute_run_metrics(run.samples, run.phases, 18 * 1024 * 1024, 40000, 0,
                                      LatencySummary{0.2, 0.35, 0.5, 1.25, 40000});
    run.metrics.backlog_jobs = BacklogSummary{120, 0, 30.5};
    run.metrics.cpu_us_per_op = 48.0 + index;
    // The second run had a busy neighbour: throughput and latency cannot be judged.
    run.cpu = {{"load", 4000, 2, 1920 + 40.0 * index, 310, 0, 55, index == 1 ? 3.0 : 25.0, 0.5}};
    run.metrics.contention_pct = run.cpu[0].others_pct + run.cpu[0].steal_pct;
    // A Redis service beside the SUT (a worker), with its own figures.
    RoleMemory redis;
    redis.role = "redis";
    for (int k = 0; k <= 80; k += 10) redis.samples.push_back({k * 100.0, 8 * 1024 * 1024 + k * 8192});
    redis.peak = {9 * 1024 * 1024, 9 * 1024 * 1024, 0, std::nullopt, true};
    redis.metrics = compute_run_metrics(redis.samples, run.phases, 9 * 1024 * 1024, std::nullopt, 0,
                                        std::nullopt);
    redis.max_processes = 1;
    redis.figures["redis"] = {{"label", "Redis used_memory"},
                              {"samples", {{0, 900000, 9000000, 10.0}, {4000, 2000000, 12000000, 6.0}}},
                              {"used_memory_bytes", {{"idle", 900000}, {"plateau", 2000000},
                                                     {"residual", 1500000}, {"peak", 2100000}}},
                              {"used_memory_rss_bytes", {{"plateau", 12000000}}},
                              {"final", {{"queue_length", 0}}}};
    run.services.push_back(redis);
    run.processes = {{1000 + index, "sut", "python3", "python3 worker.py --redis 127.0.0.1:6400",
                      0, 8000, 14 * 1024 * 1024, 13 * 1024 * 1024},
                     {2000 + index, "sut", "python3", "python3 worker.py (work horse)", 2500,
                      2600, 3 * 1024 * 1024, 0},
                     {3000 + index, "redis", "redis-server", "redis-server *:6400", 0, 8000,
                      9 * 1024 * 1024, 8 * 1024 * 1024}};
    r.runs.push_back(run);
  }
  r.summary = summarize(r.runs);
  return r;
}

inline Baseline fixture_baseline() {
  Baseline b;
  b.scenario = "golden-scenario";
  b.scenario_hash = "0123456789abcdef";
  b.fingerprint = machine_fingerprint(fixture_report().environment);
  b.repetitions = 5;
  const double MiB = 1024 * 1024;
  b.metrics["peak_bytes"] = make_series({12 * MiB, 12.1 * MiB, 12.2 * MiB, 12 * MiB, 12.1 * MiB});
  b.metrics["plateau_bytes"] = make_series({11.4 * MiB, 11.5 * MiB, 11.5 * MiB, 11.6 * MiB, 11.5 * MiB});
  b.metrics["throughput_per_s"] = make_series({10000, 10100, 9900, 10000, 10050});
  b.metrics["cpu_us_per_op"] = make_series({48.2, 48.9, 49.1, 48.5, 48.8});
  b.environment = {{"speed_reference_ms", 45.0}};
  return b;
}

inline GateSpec fixture_gate() {
  GateSpec g;
  g.rules = {{"peak_bytes", 10, 4.0 * 1024 * 1024}, {"plateau_bytes", 10, 0},
             {"throughput_per_s", 15, std::nullopt}, {"cpu_us_per_op", 15, 0.5}};
  g.budgets = {{"peak_bytes", 256.0 * 1024 * 1024}};
  return g;
}

inline Verdict fixture_verdict(const Report& report, const Baseline& baseline, const GateSpec& gate) {
  return gate_report(report, gate, &baseline);
}

}  // namespace memgate::test
