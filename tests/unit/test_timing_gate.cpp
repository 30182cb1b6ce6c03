// Timing you can trust: the signed-rank test, checks left unjudged on a busy machine or a host of
// another speed, the A/B verdict from paired runs, stopping early when the answer is clear, and
// the /proc parsers of CPU time. Exact values, no clock.

#include <catch2/catch.hpp>

#include "core/gate/gate.hpp"
#include "core/gate/paired.hpp"
#include "core/procfs/procfs.hpp"
#include "core/report/verdict_table.hpp"
#include "core/stats/stats.hpp"

using namespace memgate;

namespace {

constexpr double MiB = 1024 * 1024;

const GateRule kPeak{"peak_bytes", 10, 4 * MiB};
const GateRule kThroughput{"throughput_per_s", 15, std::nullopt};
const GateRule kLatency{"latency_p99_ms", 50, 1};
const GateRule kCpu{"cpu_us_per_op", 15, 0.5};

Baseline baseline(double speed_ms = 45) {
  Baseline b;
  b.scenario_hash = "h";
  b.fingerprint = "m";
  b.repetitions = 5;
  b.environment = {{kSpeedKey, speed_ms}};
  b.metrics["peak_bytes"] = make_series({100 * MiB, 101 * MiB, 100 * MiB, 102 * MiB, 101 * MiB});
  b.metrics["throughput_per_s"] = make_series({1000, 1010, 990, 1005, 995});
  b.metrics["latency_p99_ms"] = make_series({2.0, 2.1, 2.0, 1.9, 2.05});
  b.metrics["cpu_us_per_op"] = make_series({50, 51, 49.5, 50.5, 50});
  return b;
}

GateSpec spec(std::vector<GateRule> rules, std::vector<GateBudget> budgets = {}) {
  GateSpec s;
  // Judged in full against a single sitting: the provisional hold is test_gate_sittings.cpp's.
  s.single_sitting_hard_factor = 1;
  s.rules = std::move(rules);
  s.budgets = std::move(budgets);
  return s;
}

// The current runs: peak as given (MiB), throughput, latency p99, CPU per op.
std::map<std::string, std::vector<double>> current(double peak_mib, double throughput,
                                                   double latency_ms, double cpu_us) {
  std::map<std::string, std::vector<double>> c;
  for (int i = 0; i < 5; ++i) {
    c["peak_bytes"].push_back((peak_mib + 0.2 * i) * MiB);
    c["throughput_per_s"].push_back(throughput + i);
    c["latency_p99_ms"].push_back(latency_ms + 0.01 * i);
    c["cpu_us_per_op"].push_back(cpu_us + 0.1 * i);
  }
  return c;
}

Verdict gate(const GateSpec& s, const Baseline& b, std::map<std::string, std::vector<double>> c,
             std::optional<double> contention_pct, std::optional<double> speed_ms) {
  GateInputs in;
  in.spec = &s;
  in.baseline = &b;
  in.scenario_hash = "h";
  in.fingerprint = "m";
  in.current = std::move(c);
  in.contention_pct = contention_pct;
  in.speed_ms = speed_ms;
  return evaluate_gate(in);
}

const Check& check(const Verdict& v, const std::string& metric, bool budget = false) {
  for (const auto& c : v.checks) {
    if (c.metric == metric && c.budget == budget) return c;
  }
  FAIL("no check of " << metric);
  return v.checks.front();
}

}  // namespace

TEST_CASE("signed-rank test: exact p-values, zeros dropped, ties mid-ranked") {
  using stats::wilcoxon_signed_rank_greater_p;
  CHECK(wilcoxon_signed_rank_greater_p({1, 2, 3, 4, 5}) == Approx(1.0 / 32));
  CHECK(wilcoxon_signed_rank_greater_p({-1, 2, 3, 4, 5}) == Approx(2.0 / 32));  // W+ = 14
  CHECK(wilcoxon_signed_rank_greater_p({-5, -4, -3, -2, -1}) == Approx(1.0));
  CHECK(wilcoxon_signed_rank_greater_p({0, 0, 1, 2, 3, 4, 5}) == Approx(1.0 / 32));
  CHECK(wilcoxon_signed_rank_greater_p({1, 1, 1}) == Approx(1.0 / 8));  // tied: ranks 2, 2, 2
  CHECK(wilcoxon_signed_rank_greater_p({}) == 1);
  CHECK(wilcoxon_signed_rank_greater_p({0, 0}) == 1);
  std::vector<double> many;
  for (int i = 1; i <= 80; ++i) many.push_back(i);  // the normal approximation
  CHECK(wilcoxon_signed_rank_greater_p(many) < 1e-10);
  for (double& d : many) d = d * ((static_cast<int>(d) % 2) ? 1 : -1);
  CHECK(wilcoxon_signed_rank_greater_p(many) > 0.3);
}

TEST_CASE("a busy machine leaves throughput and latency unjudged, memory and CPU judged") {
  const Baseline b = baseline();
  const GateSpec s = spec({kPeak, kThroughput, kLatency, kCpu});
  // Half the throughput, 4x the latency: what a CPU hog does to a quiet baseline.
  const Verdict busy = gate(s, b, current(101, 500, 8, 50.5), 45.0, 45.0);
  CHECK(check(busy, "throughput_per_s").status == CheckStatus::unjudged);
  CHECK(check(busy, "latency_p99_ms").status == CheckStatus::unjudged);
  CHECK_THAT(check(busy, "latency_p99_ms").reason,
             Catch::Contains("45.0% of the CPU") && Catch::Contains("max_contention_pct (10%)"));
  CHECK(check(busy, "peak_bytes").status == CheckStatus::pass);
  CHECK(check(busy, "cpu_us_per_op").status == CheckStatus::pass);
  CHECK(busy.status == VerdictStatus::pass);
  CHECK(exit_code_for(busy) == ExitCode::ok);
  // The exit code follows the checks that are judged: a leak still fails.
  const Verdict leak = gate(s, b, current(160, 500, 8, 50.5), 45.0, 45.0);
  CHECK(leak.status == VerdictStatus::regressed);
  CHECK(check(leak, "throughput_per_s").status == CheckStatus::unjudged);
  // The same figures on a quiet machine are regressions.
  const Verdict quiet = gate(s, b, current(101, 500, 8, 50.5), 2.0, 45.0);
  CHECK(check(quiet, "throughput_per_s").status == CheckStatus::regressed);
  CHECK(check(quiet, "latency_p99_ms").status == CheckStatus::regressed);
  // At the threshold itself a check is still judged.
  CHECK(check(gate(s, b, current(101, 500, 8, 50.5), 10.0, 45.0), "throughput_per_s").status ==
        CheckStatus::regressed);
}

TEST_CASE("a host of another speed leaves timing and CPU per operation unjudged") {
  const Baseline b = baseline(45);
  const GateSpec s = spec({kPeak, kThroughput, kCpu});
  // This host takes 60 ms for the baseline host's 45: 0.75 of its speed.
  const Verdict slow = gate(s, b, current(101, 600, 2, 70), 0.0, 60.0);
  CHECK(check(slow, "throughput_per_s").status == CheckStatus::unjudged);
  CHECK(check(slow, "cpu_us_per_op").status == CheckStatus::unjudged);
  CHECK_THAT(check(slow, "cpu_us_per_op").reason,
             Catch::Contains("baseline host 1.00, this host 0.75"));
  CHECK(check(slow, "peak_bytes").status == CheckStatus::pass);
  CHECK(slow.status == VerdictStatus::pass);
  // Within max_speed_diff_pct (10%): judged, and 40% more CPU per operation is a regression.
  const Verdict near = gate(s, b, current(101, 1000, 2, 70), 0.0, 48.0);
  CHECK(check(near, "cpu_us_per_op").status == CheckStatus::regressed);
  // A baseline without a speed index: judged as before, with a note to remake it.
  Baseline old = baseline();
  old.environment = nlohmann::json::object();
  const Verdict v = gate(s, old, current(101, 1000, 2, 50), 0.0, 60.0);
  CHECK(check(v, "cpu_us_per_op").status == CheckStatus::pass);
  CHECK_THAT(v.notes.front(), Catch::Contains("no speed index"));
}

TEST_CASE("when nothing could be judged there is no verdict, and budgets on latency wait too") {
  const Baseline b = baseline();
  const Verdict v = gate(spec({kThroughput}), b, current(101, 500, 2, 50), 50.0, 45.0);
  CHECK(v.status == VerdictStatus::inconclusive);
  CHECK(exit_code_for(v) == ExitCode::no_verdict);
  const GateSpec budgets = spec({kPeak}, {{"latency_p99_ms", 5}, {"peak_bytes", 50 * MiB}});
  const Verdict busy = gate(budgets, b, current(101, 1000, 9, 50), 50.0, 45.0);
  CHECK(check(busy, "latency_p99_ms", true).status == CheckStatus::unjudged);
  // A memory budget is absolute, busy machine or not.
  CHECK(check(busy, "peak_bytes", true).status == CheckStatus::regressed);
}

TEST_CASE("A/B: B judged from the paired differences") {
  GateSpec s = spec({kPeak, kCpu});
  const auto values = [](double base, double step, double b_factor) {
    std::vector<double> a, b;
    for (int i = 0; i < 5; ++i) {
      a.push_back(base + step * i);  // the machine drifts: both sides alike
      b.push_back((base + step * i) * b_factor);
    }
    return std::pair{a, b};
  };
  const auto run = [&](double cpu_factor, double peak_factor) {
    PairedInputs in;
    in.spec = &s;
    std::tie(in.a["cpu_us_per_op"], in.b["cpu_us_per_op"]) = values(50, 8, cpu_factor);
    std::tie(in.a["peak_bytes"], in.b["peak_bytes"]) = values(100 * MiB, 3 * MiB, peak_factor);
    return evaluate_paired(in);
  };
  const Verdict same = run(1.0, 1.0);
  CHECK(same.status == VerdictStatus::pass);
  // 30% more CPU per op in every pair, though the drift (50 -> 82 us) is larger than the change
  // between the sides' medians would suggest without pairing.
  const Verdict costly = run(1.3, 1.0);
  CHECK(costly.status == VerdictStatus::regressed);
  CHECK(check(costly, "cpu_us_per_op").status == CheckStatus::regressed);
  CHECK(*check(costly, "cpu_us_per_op").p_value == Approx(1.0 / 32));
  CHECK(check(costly, "peak_bytes").status == CheckStatus::pass);
  const Verdict leaky = run(1.0, 1.5);
  CHECK(check(leaky, "peak_bytes").status == CheckStatus::regressed);
  CHECK(run(0.7, 1.0).status == VerdictStatus::improved);
  // Worse beyond the rule, but one pair of five disagrees: too close to call.
  PairedInputs mixed;
  mixed.spec = &s;
  mixed.a["cpu_us_per_op"] = {50, 50, 50, 50, 50};
  mixed.b["cpu_us_per_op"] = {49, 70, 70, 70, 70};
  mixed.a["peak_bytes"] = mixed.b["peak_bytes"] = {MiB, MiB, MiB, MiB, MiB};
  const Verdict close = evaluate_paired(mixed);
  CHECK(check(close, "cpu_us_per_op").status == CheckStatus::inconclusive);
  // The reason gives the effect and the pairs' signs.
  CHECK_THAT(check(close, "cpu_us_per_op").reason,
             Catch::Contains("(+40.0%) over 5 pairs, B worse in 4, better in 1"));
  // The headline names the regressed rows as regressions and the others as inconclusive.
  mixed.a["peak_bytes"] = {100 * MiB, 100 * MiB, 100 * MiB, 100 * MiB, 100 * MiB};
  mixed.b["peak_bytes"] = {200 * MiB, 200 * MiB, 200 * MiB, 200 * MiB, 200 * MiB};
  const Verdict both = evaluate_paired(mixed);
  REQUIRE(both.status == VerdictStatus::regressed);
  CHECK(verdict_headline(both) == "REGRESSED: peak_bytes; inconclusive: cpu_us_per_op");
  CHECK(verdict_headline(close) == "INCONCLUSIVE: cpu_us_per_op");
  // Budgets hold for B's runs: its last pair peaks at 112 MiB.
  s.budgets = {{"peak_bytes", 110 * MiB}};
  CHECK(check(run(1.0, 1.0), "peak_bytes", true).status == CheckStatus::regressed);
  s.budgets = {{"peak_bytes", 115 * MiB}};
  CHECK(check(run(1.0, 1.0), "peak_bytes", true).status == CheckStatus::pass);
}

TEST_CASE("check stops after a few runs only when every check is far from its rule") {
  const Baseline b = baseline();
  const GateSpec s = spec({kPeak, kCpu});
  const auto clear = [&](double peak_mib, double cpu) {
    GateInputs in;
    in.spec = &s;
    in.baseline = &b;
    in.scenario_hash = "h";
    in.fingerprint = "m";
    for (int i = 0; i < kEarlyRuns; ++i) {
      in.current["peak_bytes"].push_back((peak_mib + 0.1 * i) * MiB);
      in.current["cpu_us_per_op"].push_back(cpu);
    }
    return answer_is_clear(in, evaluate_gate(in));
  };
  CHECK(clear(101, 50.5));        // both far inside
  CHECK_FALSE(clear(106, 50.5));  // peak +5 MiB of an allowance of 10.1 MiB: close
  CHECK_FALSE(clear(101, 54));    // CPU +8% of 15%: close
  CHECK(clear(140, 50.5));        // a regression of 4x the allowance in every run
  CHECK_FALSE(clear(112, 50.5));  // a regression, but close to the edge: run them all
  // No baseline: more runs cannot give a verdict.
  GateInputs none;
  none.spec = &s;
  none.current["peak_bytes"] = {MiB};
  CHECK(answer_is_clear(none, evaluate_gate(none)));
}

TEST_CASE("procfs: CPU time of a process and of the machine") {
  const auto stat = procfs::parse_stat(
      "4242 (my (odd) name) S 1 4240 4241 0 -1 4194560 100 0 0 0 250 75 30 12 20 0 1 0 1000 "
      "3133440 411 18446744073709551615");
  REQUIRE(stat);
  CHECK(stat->state == 'S');
  CHECK(stat->ppid == 1);
  CHECK(stat->pgrp == 4240);
  CHECK(stat->session == 4241);
  CHECK(stat->self_ticks == 325);
  CHECK(stat->children_ticks == 42);
  CHECK_FALSE(stat->kernel_thread);
  const auto kthread = procfs::parse_stat("17 (ksoftirqd/1) S 2 0 0 0 -1 69238848 0 0 0 0 3 9 0 0");
  REQUIRE(kthread);
  CHECK(kthread->kernel_thread);  // 69238848 = 0x4208040: PF_KTHREAD set
  CHECK(kthread->self_ticks == 12);
  CHECK(procfs::parse_stat("9 (z) Z 1 9 9 0 -1 0 0 0 0 0 1 2 0 0")->state == 'Z');
  CHECK_FALSE(procfs::parse_stat("4242 (x) S 1 2"));
  const auto machine = procfs::parse_proc_stat(
      "cpu  100 5 50 1000 20 3 7 11 0 0\ncpu0 50 2 25 500 10 1 3 6 0 0\n"
      "cpu1 50 3 25 500 10 2 4 5 0 0\nintr 1 2 3\n");
  REQUIRE(machine);
  CHECK(machine->idle_ticks == 1000 + 20);  // idle + iowait
  CHECK(machine->interrupt_ticks == 3 + 7);
  CHECK(machine->steal_ticks == 11);
  CHECK(machine->cpus == 2);
  CHECK_FALSE(procfs::parse_proc_stat("intr 1 2 3\n"));
}
