// Gate quality for timing (make bench): does the gate cry wolf on a busy machine, and does it
// catch a SUT that costs 30% more CPU per operation? Prints, for N repetitions of each:
//   1. hog-check:     `memgate check` of every shipped scenario against baselines/, unchanged,
//                     with a CPU hog on one core: a scenario exiting 1 is a false alarm (target 0)
//   2. check-detect:  the text service 30% costlier per text (--cpu-us-per-text), checked
//                     against a baseline of the cheaper one, quiet and with the hog
//                     (target >= 9 of 10 each: exit 1 with cpu_us_per_op regressed)
//   3. ab-detect:     the same as `memgate ab` (A cheaper, B costlier), quiet and with the hog
//                     (target >= 9 of 10 each)
//   4. ab-null:       `memgate ab` with identical sides, with the hog: any exit 1 is a false
//                     alarm (target 0)
//   5. wall:          the wall time of `memgate check` of every shipped scenario, quiet, with
//                     --all-runs (every repetition) and without (stopping after 3 runs when clear)
//   6. worker-drift:  the shipped Python worker (tests/workers/redis_worker.py) and the same
//                     burning 1 ms of CPU per job, gated by the default rules: N unchanged
//                     checks (false alarms: exit 1 on any rule, target 0) and N checks 30%
//                     costlier per job (detections: exit 1 with cpu_us_per_op regressed,
//                     target >= 95%), quiet and with the hog, judged three
//                     ways on the same runs: against a single sitting, against 3 sittings made
//                     MG_BENCH_GAP_S apart (default 300), and from the history (the unchanged
//                     checks so far; the 3 sittings until there are 5). Not in the default parts:
//                     `memgate_bench_gate_timing N worker-drift` (about N x 3 minutes per worker).
// Reproduce: build/bin/memgate_bench_gate_timing [N] [part...] (from the source folder; N
// defaults to 10; parts default to 1-5). Every memgate it starts is bounded (20 minutes).

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/metrics/metric_table.hpp"
#include "core/model/text_file.hpp"
#include "runtime/process/sut_process.hpp"

using namespace memgate;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSource = MEMGATE_SOURCE_DIR;
const std::string kBin = MEMGATE_TEST_BINDIR;
// The text service's own cost is about 12.6 us a text: 30 us more makes 42.6, and 43 us more of
// the costlier one makes 55.6, 30% above.
constexpr const char* kCheaper = "--cpu-us-per-text 30";
constexpr const char* kCostlier = "--cpu-us-per-text 43";

struct Outcome {
  int exit_code = -1;
  double seconds = 0;
  nlohmann::json json;      // --json output, when asked for
  std::string output_tail;  // the last line memgate printed, to say why a run had no verdict
};

// ", N without a verdict" when memgate failed N times: such runs are neither alarms nor
// detections, and a figure that hides them would look better than it is.
std::string no_verdicts(int failed) {
  return failed == 0 ? "" : fmt::format(", {} WITHOUT A VERDICT (exit not 0 or 1)", failed);
}

Outcome memgate(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  const std::string log =
      (std::filesystem::temp_directory_path() / "memgate-bench-timing.log").string();
  LaunchSpec spec;
  spec.argv = {kBin + "/memgate"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = kSource;
  spec.env = env;
  spec.log_path = log;
  const auto start = Clock::now();
  SutProcess p(spec);
  const auto exit = p.wait_exit(20 * 60 * 1000.0);
  p.stop(0);
  Outcome o;
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  o.exit_code = exit && exit->exited_normally() ? exit->exit_code() : -1;
  const std::string out = read_text_file(log);
  const auto last = out.find_last_not_of('\n');
  if (last != std::string::npos) {
    const auto begin = out.rfind('\n', last);
    o.output_tail = out.substr(begin == std::string::npos ? 0 : begin + 1, last - begin);
  }
  if (const auto brace = out.find("\n{"); brace != std::string::npos) {
    o.json = nlohmann::json::parse(out.substr(brace + 1), nullptr, false);
  } else if (!out.empty() && out[0] == '{') {
    o.json = nlohmann::json::parse(out, nullptr, false);
  }
  return o;
}

// One busy-looping process: a neighbour on one core.
class Hog {
 public:
  Hog() {
    LaunchSpec spec;
    spec.argv = {kBin + "/mg-test-sut", "--spin"};
    spec.watched_texts = {"spinning"};
    hog_ = std::make_unique<SutProcess>(spec);
    hog_->output()->wait_for_count("spinning", 1, 30'000, [] { return true; });
  }
  ~Hog() { hog_->stop(0); }

 private:
  std::unique_ptr<SutProcess> hog_;
};

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kSource + "/scenarios")) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".json" && name.find("schema") == std::string::npos) {
      files.push_back("scenarios/" + name);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The checks of a verdict with the given status, as "metric" strings.
std::set<std::string> metrics_with(const nlohmann::json& verdict, const std::string& status) {
  std::set<std::string> out;
  if (!verdict.is_object() || !verdict.contains("checks")) return out;
  for (const auto& c : verdict["checks"]) {
    if (c.value("status", "") == status) out.insert(c.value("metric", "?"));
  }
  return out;
}

void hog_check(int n) {
  fmt::print("1. hog-check: every shipped scenario, unchanged, with a CPU hog on one core\n");
  const auto files = shipped_scenarios();
  int alarms = 0, runs = 0;
  std::map<std::string, int> unjudged, invalid;
  for (int i = 1; i <= n; ++i) {
    Hog hog;
    std::vector<std::string> args{"check"};
    args.insert(args.end(), files.begin(), files.end());
    for (const char* a : {"--baselines", "baselines", "--out", "/tmp/memgate-bench-timing/hog",
                          "--history", "none", "--quiet", "--json"}) {
      args.push_back(a);
    }
    const Outcome o = memgate(args);
    std::vector<std::string> regressed;
    for (const auto& s : o.json.value("scenarios", nlohmann::json::array())) {
      ++runs;
      const std::string name = s.value("scenario", "?");
      if (s.value("exit_code", 0) == 1) {
        ++alarms;
        regressed.push_back(
            fmt::format("{} ({})", name, fmt::join(metrics_with(s["verdict"], "regressed"), ", ")));
      }
      if (s.value("exit_code", 0) == 3) ++invalid[name];
      for (const auto& m : metrics_with(s["verdict"], "unjudged")) ++unjudged[m];
    }
    fmt::print("   check {:>2}: exit {}, {:.0f} s{}\n", i, o.exit_code, o.seconds,
               regressed.empty() ? "" : fmt::format(", REGRESSED: {}", fmt::join(regressed, "; ")));
  }
  fmt::print("   false alarms: {} of {} scenario checks ({} make-memgate runs); target 0\n", alarms,
             runs, n);
  for (const auto& [m, count] : unjudged) fmt::print("   unjudged {}: {} times\n", m, count);
  for (const auto& [s, count] : invalid) fmt::print("   invalid runs of {}: {}\n", s, count);
}

void check_detect(int n) {
  fmt::print(
      "2. check-detect: text-batch-stdin 30% costlier per text, against the cheaper one's "
      "baseline\n");
  const std::string baselines = "/tmp/memgate-bench-timing/baselines";
  std::filesystem::remove_all(baselines);
  const Outcome base =
      memgate({"baseline", "scenarios/text-batch-stdin.json", "--baselines", baselines, "--quiet"},
              {{"MG_TEXT_SERVICE_EXTRA", kCheaper}});
  if (base.exit_code != 0) {
    fmt::print("   the baseline could not be made (exit {})\n", base.exit_code);
    return;
  }
  for (const bool busy : {false, true}) {
    int caught = 0, failed = 0;
    for (int i = 1; i <= n; ++i) {
      std::unique_ptr<Hog> hog = busy ? std::make_unique<Hog>() : nullptr;
      const Outcome o =
          memgate({"check", "scenarios/text-batch-stdin.json", "--baselines", baselines, "--out",
                   "/tmp/memgate-bench-timing/detect", "--history", "none", "--quiet", "--json"},
                  {{"MG_TEXT_SERVICE_EXTRA", kCostlier}});
      const auto& s = o.json.value("scenarios", nlohmann::json::array());
      const bool hit = o.exit_code == 1 && !s.empty() &&
                       metrics_with(s[0]["verdict"], "regressed").count("cpu_us_per_op") > 0;
      caught += hit ? 1 : 0;
      failed += o.exit_code != 0 && o.exit_code != 1 ? 1 : 0;
    }
    fmt::print("   {}: caught {} of {}; target >= {}{}\n", busy ? "with the hog" : "quiet", caught,
               n, (n * 9 + 9) / 10, no_verdicts(failed));
  }
}

void ab_detect(int n, bool null_case) {
  fmt::print("{}", null_case ? "4. ab-null: memgate ab with identical sides, with the hog\n"
                             : "3. ab-detect: memgate ab, B 30% costlier per text than A\n");
  for (const bool busy : null_case ? std::vector<bool>{true} : std::vector<bool>{false, true}) {
    int exits_1 = 0, caught = 0, failed = 0;
    double seconds = 0;
    for (int i = 1; i <= n; ++i) {
      std::unique_ptr<Hog> hog = busy ? std::make_unique<Hog>() : nullptr;
      const Outcome o =
          memgate({"ab", "scenarios/text-batch-stdin.json", "--out", "/tmp/memgate-bench-timing/ab",
                   "--quiet", "--json", "--set", "phases.warmup_s=1", "--set", "phases.load_s=4",
                   "--a-env", std::string("MG_TEXT_SERVICE_EXTRA=") + kCheaper, "--b-env",
                   std::string("MG_TEXT_SERVICE_EXTRA=") + (null_case ? kCheaper : kCostlier)});
      seconds += o.seconds;
      exits_1 += o.exit_code == 1 ? 1 : 0;
      if (o.exit_code != 0 && o.exit_code != 1) {
        ++failed;
        fmt::print("   run {}: exit {}, no verdict: {}\n", i, o.exit_code, o.output_tail);
      }
      caught +=
          o.exit_code == 1 && metrics_with(o.json.value("verdict", nlohmann::json()), "regressed")
                                      .count("cpu_us_per_op") > 0;
    }
    if (null_case) {
      fmt::print("   false alarms: {} of {}; target 0 ({:.0f} s each){}\n", exits_1, n, seconds / n,
                 no_verdicts(failed));
    } else {
      fmt::print("   {}: caught {} of {}; target >= {} ({:.0f} s each){}\n",
                 busy ? "with the hog" : "quiet", caught, n, (n * 9 + 9) / 10, seconds / n,
                 no_verdicts(failed));
    }
  }
}

void wall() {
  fmt::print("5. wall: memgate check of every shipped scenario, quiet\n");
  const auto files = shipped_scenarios();
  for (const bool all_runs : {true, false}) {
    std::vector<std::string> args{"check"};
    args.insert(args.end(), files.begin(), files.end());
    for (const char* a : {"--baselines", "baselines", "--out", "/tmp/memgate-bench-timing/wall",
                          "--history", "none", "--quiet", "--json"}) {
      args.push_back(a);
    }
    if (all_runs) args.push_back("--all-runs");
    const Outcome o = memgate(args);
    int early = 0;
    for (const auto& s : o.json.value("scenarios", nlohmann::json::array())) {
      early += s["verdict"].value("stopped_early", false) ? 1 : 0;
    }
    fmt::print("   {}: {:.0f} s, exit {}, {} of {} scenarios stopped after 3 runs\n",
               all_runs ? "every repetition (--all-runs)" : "stopping when clear          ",
               o.seconds, o.exit_code, early, files.size());
  }
}

// The default rules (the metric table's, those a worker fed at a fixed rate measures), CPU per
// job's also from the history: what a team that writes no gate section gets, plus that rule.
nlohmann::json default_rules_with_history() {
  nlohmann::json gate = nlohmann::json::object();
  for (const MetricInfo& m : gated_metrics()) {
    if (!m.default_rule || (m.needs & kNeedsClosedModel)) continue;
    nlohmann::json rule = nlohmann::json::object();
    if (m.default_rule->tolerance_pct) rule[m.tolerance_key] = *m.default_rule->tolerance_pct;
    if (m.default_rule->floor) rule[m.floor_key] = *m.default_rule->floor;
    gate[m.name] = rule;
  }
  gate["cpu_us_per_op"]["from_history"] = {{"last", 20}, {"min_entries", 5}};
  return gate;
}

// The shipped worker scenario, shorter, with the default rules.
std::string worker_scenario(const std::string& dir) {
  nlohmann::json s =
      nlohmann::json::parse(read_text_file(kSource + "/scenarios/redis-worker.json"));
  s.erase("$schema");
  s["name"] = "worker-drift";
  s["sut"]["command"][1] = kSource + "/tests/workers/redis_worker.py";
  s["phases"] = {{"idle_s", 1}, {"warmup_s", 1}, {"load_s", 5}, {"cooldown_s", 1}};
  s["driver"]["rate_per_s"] = 300;
  s["gate"] = default_rules_with_history();
  const std::string file = dir + "/worker-drift.json";
  write_file_atomic(file, s.dump(1));
  return file;
}

// One verdict: memgate's exit code and the metrics that regressed.
struct Verdict {
  int exit = -1;
  std::set<std::string> regressed;
  bool no_verdict() const { return exit != 0 && exit != 1; }
  bool caught_cpu() const { return exit == 1 && regressed.count("cpu_us_per_op") > 0; }
};

// The verdicts of one measurement, three ways: "check" (history, falling back to the sittings),
// and `compare` of its report against the single sitting and against the sittings.
struct Judged {
  Verdict history, single, sittings;
};

Judged judge_three_ways(const std::string& scenario, const std::string& dir,
                        const std::string& history, double work_ms) {
  const std::map<std::string, std::string> env = {
      {"MG_WORKER_WORK_MS", fmt::format("{:.4f}", work_ms)}};
  Judged j;
  const Outcome check = memgate({"check", scenario, "--baselines", dir + "/sittings", "--out",
                                 dir + "/out", "--history", history, "--quiet", "--json"},
                                env);
  j.history.exit = check.exit_code;
  const auto& s = check.json.value("scenarios", nlohmann::json::array());
  if (!s.empty()) j.history.regressed = metrics_with(s[0]["verdict"], "regressed");
  for (const auto& [which, verdict] :
       {std::pair{"single", &j.single}, std::pair{"sittings", &j.sittings}}) {
    const Outcome o = memgate(
        {"compare", dir + "/out/report.json", dir + "/" + which + "/worker-drift.json", "--json"});
    verdict->exit = o.exit_code;
    verdict->regressed = metrics_with(o.json, "regressed");
  }
  return j;
}

// What one method gave over the N unchanged and N costlier checks of one condition.
struct Tally {
  int alarms = 0;                         // unchanged checks that exited 1
  std::map<std::string, int> alarmed_on;  // ... by the metric that regressed
  int caught = 0;                         // costlier checks that exited 1 on CPU per job
  int no_verdict = 0;                     // checks of either kind that exited 4 (or failed)
  void add(const Verdict& same, const Verdict& worse) {
    alarms += same.exit == 1 ? 1 : 0;
    if (same.exit == 1) {
      for (const auto& m : same.regressed) ++alarmed_on[m];
    }
    caught += worse.caught_cpu() ? 1 : 0;
    no_verdict += same.no_verdict() + worse.no_verdict();
  }
};

void worker_drift(int n) {
  fmt::print(
      "6. worker-drift: Python workers, unchanged and 30% costlier per job, with the default "
      "rules, three ways\n");
  const char* gap_env = std::getenv("MG_BENCH_GAP_S");
  const std::string gap = gap_env ? gap_env : "300";
  for (const double base_ms : {0.0, 1.0}) {
    const std::string dir =
        fmt::format("/tmp/memgate-bench-timing/worker-{}", base_ms > 0 ? "burner" : "shipped");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string scenario = worker_scenario(dir);
    const std::map<std::string, std::string> env = {
        {"MG_WORKER_WORK_MS", fmt::format("{:.4f}", base_ms)}};
    const Outcome single =
        memgate({"baseline", scenario, "--baselines", dir + "/single", "--quiet"}, env);
    const Outcome sittings = memgate({"baseline", scenario, "--baselines", dir + "/sittings",
                                      "--sittings", "3", "--gap-s", gap, "--quiet"},
                                     env);
    if (single.exit_code != 0 || sittings.exit_code != 0) {
      fmt::print("   the baselines could not be made (exit {} and {})\n", single.exit_code,
                 sittings.exit_code);
      continue;
    }
    const nlohmann::json b =
        nlohmann::json::parse(read_text_file(dir + "/single/worker-drift.json"));
    const double cpu_us = b["metrics"]["cpu_us_per_op"]["median"].get<double>();
    const double costlier_ms = base_ms + 0.3 * cpu_us / 1000;  // 30% more CPU per job
    fmt::print(
        "   {} worker: {:.0f} us per job in its baseline; costlier: MG_WORKER_WORK_MS={:.3f}\n",
        base_ms > 0 ? "burning 1 ms" : "shipped", cpu_us, costlier_ms);
    std::fflush(stdout);
    for (const bool busy : {false, true}) {
      const std::string history = dir + (busy ? "/history-hog.jsonl" : "/history-quiet.jsonl");
      std::map<std::string, Tally> tally;
      for (int i = 1; i <= n; ++i) {
        std::unique_ptr<Hog> hog = busy ? std::make_unique<Hog>() : nullptr;
        // Unchanged: its line joins the history (as a nightly job's would).
        const Judged same = judge_three_ways(scenario, dir, history, base_ms);
        // Costlier: judged on a copy of the history, which it must not join.
        const std::string scratch = dir + "/history-scratch.jsonl";
        std::filesystem::remove(scratch);
        if (std::filesystem::exists(history)) std::filesystem::copy_file(history, scratch);
        const Judged worse = judge_three_ways(scenario, dir, scratch, costlier_ms);
        tally["single sitting"].add(same.single, worse.single);
        tally["3 sittings"].add(same.sittings, worse.sittings);
        tally["from history"].add(same.history, worse.history);
      }
      for (const char* method : {"single sitting", "3 sittings", "from history"}) {
        const Tally& t = tally[method];
        std::vector<std::string> on;
        for (const auto& [metric, count] : t.alarmed_on)
          on.push_back(fmt::format("{} {}", metric, count));
        fmt::print(
            "   {:<6} {:<15} false alarms {} of {}{} (target 0), caught {} of {} (target >= {}), "
            "{} without a verdict (exit 4: inconclusive or unjudged)\n",
            busy ? "hog" : "quiet", method, t.alarms, n,
            on.empty() ? "" : fmt::format(" ({})", fmt::join(on, ", ")), t.caught, n,
            (n * 19 + 19) / 20, t.no_verdict);
      }
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::set<std::string> parts;
  for (int i = 2; i < argc; ++i) parts.insert(argv[i]);
  const auto want = [&](const char* part) { return parts.empty() || parts.count(part) > 0; };
  const auto asked = [&](const char* part) { return parts.count(part) > 0; };
  std::filesystem::create_directories("/tmp/memgate-bench-timing");
  fmt::print("memgate timing gate quality: {} repetitions per condition, on {} CPUs\n\n", n,
             ::sysconf(_SC_NPROCESSORS_ONLN));
  if (want("hog-check")) hog_check(n);
  if (want("check-detect")) check_detect(n);
  if (want("ab-detect")) ab_detect(n, false);
  if (want("ab-null")) ab_detect(n, true);
  if (want("wall")) wall();
  if (asked("worker-drift")) worker_drift(n);
  return 0;
}
