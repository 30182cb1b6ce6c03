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
// Reproduce: build/bin/memgate_bench_gate_timing [N] [part...] (from the source folder; N
// defaults to 10; parts default to all). Every memgate it starts is bounded (20 minutes).

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

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

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::set<std::string> parts;
  for (int i = 2; i < argc; ++i) parts.insert(argv[i]);
  const auto want = [&](const char* part) { return parts.empty() || parts.count(part) > 0; };
  std::filesystem::create_directories("/tmp/memgate-bench-timing");
  fmt::print("memgate timing gate quality: {} repetitions per condition, on {} CPUs\n\n", n,
             ::sysconf(_SC_NPROCESSORS_ONLN));
  if (want("hog-check")) hog_check(n);
  if (want("check-detect")) check_detect(n);
  if (want("ab-detect")) ab_detect(n, false);
  if (want("ab-null")) ab_detect(n, true);
  if (want("wall")) wall();
  return 0;
}
