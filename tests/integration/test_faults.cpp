// Faults during a run, black box: each ends with the documented exit code, a report that says
// what happened, the SUT's log tail, and no process of the SUT left behind. The SUT is the text
// service (tests/text_service) with its fault knobs; every process it starts carries a token in
// its environment, so survivors are found wherever they went (another process group, session or
// parent).

#include <catch2/catch.hpp>
#include <dirent.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>

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

}  // namespace

TEST_CASE("faults: a full disk is exit 3 naming the file, leaves no half-written file behind") {
  TempDir dir;
  TinyTmpfs full(dir.file("full"));
  if (!full.mounted()) {
    skip_test("this machine does not allow mounting a tmpfs (needs root and CAP_SYS_ADMIN)");
  }
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
