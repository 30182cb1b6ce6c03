// Faults during a run, black box: each ends with the documented exit code, a report that says
// what happened, the SUT's log tail, and no process of the SUT left behind. The SUT is the text
// service (tests/text_service) with its fault knobs; every process it starts carries a token in
// its environment, so survivors are found wherever they went (another process group, session or
// parent).

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/report/history.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

// The text service over HTTP with `knobs`, a long load phase (faults must end it early) and a
// short grace, its processes marked with token.
json fault_scenario(const std::string& token, const std::vector<std::string>& knobs,
                    double load_s = 60) {
  json s = json::parse(R"({
    "name": "fault",
    "sut": {"command": ["{bindir}/memgate-text-service", "--port", "{port}"],
            "ready": {"log": "listening on", "timeout_s": 20}, "stop_grace_s": 0.5},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "cooldown_s": 0.2},
    "driver": {"type": "text-batch", "transport": "http", "url": "http://127.0.0.1:{port}/embed",
               "batch_size": 16, "concurrency": 2, "texts": {"generate": {"count": 200}}}
  })");
  for (const auto& k : knobs) s["sut"]["command"].push_back(k);
  s["sut"]["env"] = {{"MG_FAULT_TOKEN", token}};
  s["phases"]["load_s"] = load_s;
  return s;
}

struct Outcome {
  CliResult cli;
  json report;
};

Outcome run_scenario(const TempDir& dir, const json& scenario,
                     const std::vector<std::string>& extra = {}) {
  const std::string file = dir.write("fault.json", scenario.dump());
  std::vector<std::string> args{"run", file, "--out", dir.file("out"), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o{run_memgate(args, 120), json()};
  const std::string report = slurp(dir.file("out/report.json"));
  if (!report.empty()) o.report = json::parse(report);
  return o;
}

// What every failed run must show: exit 3, the reason on the console and in the report, the
// SUT's last words in both, and nobody left.
void check_failed_run(const Outcome& o, const std::string& token, const std::string& reason,
                      const std::string& last_words) {
  CHECK(o.cli.exit_code == 3);
  CHECK_THAT(o.cli.output, Catch::Contains(reason) && Catch::Contains(last_words));
  REQUIRE(o.report.is_object());
  CHECK(o.report["valid"] == false);
  const json& run = o.report["runs"][0];
  CHECK_THAT(run["problems"][0].get<std::string>(), Catch::Contains(reason));
  CHECK_THAT(run.value("sut_log_tail", json::array()).dump(), Catch::Contains(last_words));
  CHECK(token_holders(token).empty());
}

}  // namespace

TEST_CASE("faults: the SUT exits early in the load: exit 3 with its status and last words") {
  TempDir dir;
  const std::string token = fresh_token();
  const auto o = run_scenario(dir, fault_scenario(token, {"--exit-after-texts", "400"}));
  check_failed_run(o, token, "exited with status 0", "exiting on purpose after 400 texts");
  REQUIRE(o.report.is_object());
  CHECK(o.report["runs"][0]["phases"].back()["name"] == "load");
  CHECK_FALSE(o.report["runs"][0]["samples"].empty());  // what was measured is kept
}

TEST_CASE("faults: the SUT crashes (SIGSEGV) mid-load: exit 3 naming the signal") {
  TempDir dir;
  const std::string token = fresh_token();
  const auto o = run_scenario(dir, fault_scenario(token, {"--crash-after-texts", "400"}));
  check_failed_run(o, token, "killed by signal 11 (SIGSEGV)", "crashing on purpose after 400 texts");
  REQUIRE(o.report.is_object());
  // ", core dumped" may follow where the machine keeps cores.
  CHECK_THAT(o.report["runs"][0]["sut_exit"].get<std::string>(),
             Catch::StartsWith("killed by signal 11 (SIGSEGV)"));
}

TEST_CASE("faults: a SUT that never becomes ready: exit 3 naming the probe, SUT stopped") {
  TempDir dir;
  const std::string token = fresh_token();
  json s = fault_scenario(token, {});
  // Long enough for the service to print "listening on" even on a loaded machine.
  s["sut"]["ready"] = {{"log", "a line it never prints"}, {"timeout_s", 3}};
  const auto o = run_scenario(dir, s);
  check_failed_run(o, token, "a line it never prints", "listening on");
}

TEST_CASE("faults: a SUT that ignores SIGTERM is killed after the grace, with a warning") {
  TempDir dir;
  const std::string token = fresh_token();
  json s = fault_scenario(token, {"--ignore-sigterm"});
  s["phases"].erase("load_s");
  s["phases"]["load_ops"] = 320;
  const auto o = run_scenario(dir, s);
  CHECK(o.cli.exit_code == 0);
  REQUIRE(o.report.is_object());
  CHECK(o.report["valid"] == true);
  CHECK_THAT(o.report["runs"][0]["warnings"].dump(),
             Catch::Contains("did not end within 0.5 s of being told to stop") &&
                 Catch::Contains("killed (SIGKILL)"));
  CHECK(token_holders(token).empty());
}

TEST_CASE("faults: a child that outlives the SUT is found and stopped") {
  TempDir dir;
  const std::string token = fresh_token();
  const auto o = run_scenario(dir, fault_scenario(token, {"--fork-child", "--exit-after-texts", "400"}));
  // The service forked a child into a process group of its own, then exited: the child is an
  // orphan (re-parented to memgate, the subreaper) that only the tree walk finds.
  check_failed_run(o, token, "exited with status 0", "exiting on purpose");
  CHECK_THAT(o.report["runs"][0]["sut_log_tail"].dump(), Catch::Contains("child") &&
                                                            Catch::Contains("started"));
}

namespace {

// Starts `memgate run` on a long load, sends sig once the load runs, and checks the partial
// report and that the SUT's whole tree (with a child in another process group) is gone.
void check_interrupted_run(int sig) {
  TempDir dir;
  const std::string token = fresh_token();
  const std::string file = dir.write("fault.json", fault_scenario(token, {"--fork-child"}).dump());
  const auto memgate = start_memgate_until({"run", file, "--out", dir.file("out")},
                                           dir.file("memgate.log"), "load (60 s)");
  REQUIRE(token_holders(token).size() == 2);  // the service and its child
  ::kill(memgate->pid(), sig);
  const auto exit = memgate->wait_exit(30'000);  // far less than the 60 s of load
  REQUIRE(exit);
  CHECK(exit->exited_normally());
  CHECK(exit->exit_code() == 3);
  memgate->output()->stop();
  const std::string reason = std::string("interrupted by SIG") + sigabbrev_np(sig);
  CHECK_THAT(slurp(dir.file("memgate.log")), Catch::Contains(reason));
  const json report = json::parse(slurp(dir.file("out/report.json")));
  CHECK(report["valid"] == false);
  CHECK_THAT(report["runs"][0]["problems"][0].get<std::string>(), Catch::Contains(reason));
  CHECK(report["runs"][0]["phases"].back()["name"] == "load");
  CHECK_FALSE(report["runs"][0]["samples"].empty());
  CHECK(std::filesystem::exists(dir.file("out/report.html")));
  CHECK(std::filesystem::exists(dir.file("out/run1/sut.log")));
  CHECK(token_holders(token).empty());
}

}  // namespace

TEST_CASE("faults: SIGINT to memgate mid-load: exit 3, partial report, SUT tree stopped") {
  check_interrupted_run(SIGINT);
}

TEST_CASE("faults: SIGTERM to memgate mid-load: exit 3, partial report, SUT tree stopped") {
  check_interrupted_run(SIGTERM);
}

TEST_CASE("faults: a report folder that cannot be written is exit 3 before the SUT starts") {
  TempDir dir;
  const std::string token = fresh_token();
  const std::string file = dir.write("fault.json", fault_scenario(token, {}).dump());
  // Under a regular file (ENOTDIR): unwritable even for root, which CI runs as.
  const std::string blocker = dir.write("not-a-folder", "x");
  const auto r = run_memgate({"run", file, "--out", blocker + "/out"}, 60);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("cannot create the report folder " + blocker + "/out") &&
                           Catch::Contains("--out"));
  CHECK_THAT(r.output, !Catch::Contains("ready ("));  // no phase began
  CHECK(slurp(blocker) == "x");
  // A folder that exists but takes no file (even for root): the write probe finds it.
  const auto proc = run_memgate({"run", file, "--out", "/proc/self"}, 60);
  CHECK(proc.exit_code == 3);
  CHECK_THAT(proc.output, Catch::Contains("cannot write to the report folder /proc/self"));
  CHECK_THAT(proc.output, !Catch::Contains("ready ("));
}

namespace {

// A tmpfs of 256 KiB mounted on a folder for the test's life; mounted() is false where the
// machine does not allow it (not root, no CAP_SYS_ADMIN).
class TinyTmpfs {
 public:
  explicit TinyTmpfs(const std::string& path) : path_(path) {
    ::mkdir(path.c_str(), 0755);
    mounted_ = ::mount("memgate-test", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                       "size=256k,mode=0755") == 0;
  }
  ~TinyTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Writes a file until the file system is full.
  void fill() const {
    std::ofstream filler(path_ + "/filler", std::ios::binary);
    const std::string block(4096, 'f');
    for (int i = 0; i < 1024 && filler.write(block.data(), block.size()); ++i) filler.flush();
  }

 private:
  std::string path_;
  bool mounted_ = false;
};

// Skips the test where the machine does not allow mounting a tmpfs; under CI=true (root, as
// .ci/run runs) a tmpfs must mount, and the test fails instead.
void require_mounted(const TinyTmpfs& tmpfs) {
  if (tmpfs.mounted()) return;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("CI=true runs as root: a tmpfs must mount");
  skip_test("this machine does not allow mounting a tmpfs (needs root and CAP_SYS_ADMIN)");
}

}  // namespace

TEST_CASE("faults: a full disk is exit 3 naming the file, leaves no half-written file behind") {
  TempDir dir;
  TinyTmpfs full(dir.file("full"));
  require_mounted(full);
  const std::string token = fresh_token();
  json s = fault_scenario(token, {});
  s["phases"].erase("load_s");
  s["phases"]["load_ops"] = 320;
  const std::string file = dir.write("fault.json", s.dump());
  // A good baseline on the small disk, then the disk fills up.
  const std::string baselines = dir.file("full/baselines");
  const auto made = run_memgate({"baseline", file, "--baselines", baselines, "--repeat", "1",
                                 "--quiet"}, 120, {}, dir.path());
  REQUIRE(made.exit_code == 0);
  const std::string baseline_before = slurp(baselines + "/fault.json");
  REQUIRE_FALSE(baseline_before.empty());
  full.fill();

  const auto r = run_memgate({"run", file, "--out", dir.file("full/out"), "--quiet"}, 120);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("cannot write " + dir.file("full/out/report.json")) &&
                           Catch::Contains("No space left on device"));
  CHECK_FALSE(std::filesystem::exists(dir.file("full/out/report.json")));

  const auto refreshed = run_memgate({"baseline", file, "--baselines", baselines, "--repeat",
                                      "1", "--quiet"}, 120, {}, dir.path());
  CHECK(refreshed.exit_code == 3);
  CHECK_THAT(refreshed.output, Catch::Contains("No space left on device"));
  CHECK(slurp(baselines + "/fault.json") == baseline_before);  // the old one, whole

  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.file("full"))) {
    CHECK_THAT(entry.path().filename().string(), !Catch::Contains(".tmp-"));
  }
  CHECK(token_holders(token).empty());
}

namespace {

// A service that fills the file system of `file` to the last byte once `marker` exists (and is
// ready at once otherwise): the disk becomes full after memgate prepared the run, as it does
// when something else fills it mid-run.
json disk_filler(const std::string& file, const std::string& marker) {
  const char* code =
      "import os, sys, time\n"
      "if os.path.exists(sys.argv[2]):\n"
      "    try:\n"
      "        with open(sys.argv[1], 'ab') as f:\n"
      "            while True:\n"
      "                f.write(b'f' * 4096)\n"
      "                f.flush()\n"
      "    except OSError:\n"
      "        pass\n"
      "print('filler ready', flush=True)\n"
      "time.sleep(600)\n";
  return {{"command", {"/usr/bin/python3", "-c", code, file, marker}},
          {"ready", {{"log", "filler ready"}}}};
}

}  // namespace

TEST_CASE(
    "faults: a full disk keeps the previous report set and history whole, the verdict "
    "still reaches the console") {
  require_tool("python3", "python3");
  TempDir dir;
  TinyTmpfs full(dir.file("full"));
  require_mounted(full);
  const std::string token = fresh_token();
  json s = fault_scenario(token, {});
  s["phases"].erase("load_s");
  s["phases"]["load_ops"] = 320;
  s["services"] = {{"filler", disk_filler(dir.file("full/filler"), dir.file("fill-now"))}};
  s["gate"] = {{"peak_bytes", {{"max_increase_pct", 100}, {"min_increase_bytes", 1e9}}}};
  const std::string file = dir.write("fault.json", s.dump());
  const std::string out = dir.file("full/out"), history = dir.file("full/history.jsonl");
  const std::vector<std::string> check = {"check", file, "--baselines", dir.file("baselines"),
                                          "--out", out,  "--history",   history};
  REQUIRE(run_memgate(
              {"baseline", file, "--baselines", dir.file("baselines"), "--repeat", "1", "--quiet"},
              120, {}, dir.path())
              .exit_code == 0);
  const auto first = run_memgate(check, 120, {}, dir.path());
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  // The history's last page keeps 40 bytes free: the next line can only be written in part.
  const std::string prefix = R"({"scenario": "padding", "metrics": {}, "pad": ")", suffix = "\"}";
  const std::size_t used = (slurp(history).size() + prefix.size() + suffix.size() + 1) % 4096;
  const std::size_t pad = (4096 - 40 - used + 4096) % 4096;
  append_line(history, prefix + std::string(pad, 'p') + suffix);
  REQUIRE(slurp(history).size() % 4096 == 4096 - 40);
  std::map<std::string, std::string> before;
  for (const char* name : {"report.json", "report.html", "summary.md", "junit.xml"}) {
    before[name] = slurp(out + "/" + name);
  }
  const std::string history_before = slurp(history);

  dir.write("fill-now", "");
  const auto second = run_memgate(check, 120, {}, dir.path());
  INFO(second.output);
  CHECK(second.exit_code == 3);
  CHECK_THAT(second.output, Catch::Contains("fault: PASS"));  // the verdict, on the console
  CHECK_THAT(second.output, Catch::Contains("peak_bytes"));
  CHECK_THAT(second.output, Catch::Contains("cannot write " + out + "/") &&
                                Catch::Contains("No space left on device") &&
                                Catch::Contains("cannot write " + history) &&
                                Catch::Contains("--history none"));
  for (const auto& [name, text] : before) {
    INFO(name);
    CHECK(slurp(out + "/" + name) == text);  // the previous set, whole
  }
  CHECK(slurp(history) == history_before);  // no fragment of a line
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.file("full"))) {
    CHECK_THAT(entry.path().filename().string(),
               !Catch::Contains(".tmp-") && !Catch::Contains(".report-set"));
  }

  std::filesystem::remove(dir.file("full/filler"));
  std::filesystem::remove(dir.file("fill-now"));
  const auto third = run_memgate(check, 120, {}, dir.path());
  INFO(third.output);
  CHECK(third.exit_code == 0);
  std::vector<std::string> skipped;
  const auto entries = parse_history(slurp(history), history, skipped);
  CHECK(skipped.empty());
  CHECK(entries.size() == 3);  // two checks and the padding, each whole
  CHECK(json::parse(slurp(out + "/report.json"))["created_at"] !=
        json::parse(before["report.json"])["created_at"]);
  CHECK(token_holders(token).empty());
}

TEST_CASE("faults: a report folder in use by another memgate is exit 2 naming its pid") {
  TempDir dir;
  const std::string token = fresh_token();
  const std::string file = dir.write("fault.json", fault_scenario(token, {}).dump());
  const auto first = start_memgate_until({"run", file, "--out", dir.file("out")},
                                         dir.file("first.log"), "load (60 s)");
  const auto second = run_memgate({"run", file, "--out", dir.file("out")}, 60);
  INFO(second.output);
  CHECK(second.exit_code == 2);
  CHECK_THAT(second.output, Catch::Contains("the report folder " + dir.file("out") +
                                            " is in use by another "
                                            "memgate (pid " +
                                            std::to_string(first->pid()) + ")"));
  CHECK_THAT(second.output, !Catch::Contains("ready ("));  // nothing of it ran
  // The first run's folder is untouched: its log is still being written.
  CHECK(std::filesystem::exists(dir.file("out/run1/sut.log")));
  ::kill(first->pid(), SIGINT);
  REQUIRE(first->wait_exit(30'000));
  CHECK(std::filesystem::exists(dir.file("out/run1/sut.log")));
  CHECK(token_holders(token).empty());
  // Once it is gone, the folder is free again (a killed memgate leaves no lock behind either).
  json quick = fault_scenario(token, {}, 0.5);
  const std::string quick_file = dir.write("quick.json", quick.dump());
  CHECK(run_memgate({"run", quick_file, "--out", dir.file("out"), "--quiet"}, 60).exit_code == 0);
}

TEST_CASE("faults: outputs that cannot be written are found before the first run") {
  TempDir dir;
  const std::string token = fresh_token();
  json a = fault_scenario(token, {}, 0.5);
  json b = a;
  b["name"] = "fault-b";
  const std::string file_a = dir.write("a.json", a.dump());
  const std::string file_b = dir.write("b.json", b.dump());
  const std::string blocker = dir.write("not-a-folder", "x");
  // An unwritable baselines folder: before any run, not after all the repetitions.
  const auto base =
      run_memgate({"baseline", file_a, file_b, "--baselines", blocker + "/b", "--repeat", "1"}, 60,
                  {}, dir.path());
  CHECK(base.exit_code == 3);
  CHECK_THAT(base.output, Catch::Contains("cannot create the baselines folder " + blocker + "/b"));
  CHECK_THAT(base.output, !Catch::Contains("ready ("));
  // An unwritable history.
  const auto check = run_memgate({"check", file_a, file_b, "--baselines", dir.file("baselines"),
                                  "--out", dir.file("out"), "--history", blocker + "/h.jsonl"},
                                 60, {}, dir.path());
  CHECK(check.exit_code == 3);
  CHECK_THAT(check.output,
             Catch::Contains(blocker + "/h.jsonl") && Catch::Contains("--history none"));
  CHECK_THAT(check.output, !Catch::Contains("ready ("));
  CHECK(token_holders(token).empty());
}
