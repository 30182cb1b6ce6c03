// memgate watch as a daily tool, as a black box: --exit-code passes the command's status through,
// --html writes the report page, a one-shot command's report holds only the metrics that mean
// something, and a bad report path is refused before the command runs.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/watch/task_exits.hpp"
#include "support/support.hpp"

using namespace memgate::test;
using nlohmann::json;

namespace {

constexpr std::int64_t MiB = 1024 * 1024;

// The count of non-overlapping occurrences of `what` in `text`.
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("watch --exit-code: the command's own status, 128 + N for signal N") {
  auto r = run_memgate({"watch", "--exit-code", "--", test_sut(), "--exit-code", "7"});
  INFO(r.output);
  CHECK(r.exit_code == 7);
  CHECK_THAT(r.output, Catch::Contains("memgate watch: " + test_sut() + " exited with status 7"));
  CHECK_THAT(r.output, !Catch::Contains("error:"));  // the status is the answer, not a failure

  r = run_memgate({"watch", "-E", "--", test_sut(), "--alloc-mib", "4"});
  CHECK(r.exit_code == 0);

  // Killed by SIGSEGV: 139, as a shell says; memgate itself ran to its summary.
  r = run_memgate({"watch", "--exit-code", "--", test_sut(), "--crash"});
  INFO(r.output);
  CHECK(r.exit_code == 128 + SIGSEGV);
  CHECK_THAT(r.output, Catch::Contains("mg-test-sut killed by signal 11 (SIGSEGV)"));

  // A command that never ran has no status: memgate's own exit code.
  r = run_memgate({"watch", "--exit-code", "--", "no-such-program-xyz"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("'no-such-program-xyz' not found on PATH"));
  // Stopped by memgate at its time limit: not the command's own end.
  r = run_memgate({"watch", "--exit-code", "--timeout-s", "0.3", "--stop-grace-s", "0", "--",
                   test_sut(), "--hold"});
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("ran longer than its 0.3 s limit"));
}

TEST_CASE("watch --html: the report page with the plot and the processes, no gate parts") {
  require_tool("xmllint", "libxml2-utils");
  TempDir dir;
  // A missing folder for the page is created.
  const std::string page = dir.file("pages/today/watch.html");
  const auto r = run_memgate({"watch", "--interval-ms", "5", "--html", page, "--out",
                              dir.file("w.json"), "--", test_sut(), "--alloc-mib", "20",
                              "--children", "1", "--child-mib", "8", "--run-ms", "200"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("page      " + page));
  // The terminal keeps its table of processes.
  CHECK_THAT(r.output, Catch::Contains("processes:") && Catch::Contains("command line"));
  expect_well_formed(page);
  const std::string html = slurp(page);
  CHECK(count_of(html, "<svg") >= 1);
  CHECK(html.find("class=\"phase phase-load\"") != std::string::npos);
  CHECK(html.find("id=\"processes\"") != std::string::npos);
  CHECK(html.find("the command exited with status 0") != std::string::npos);
  CHECK(html.find("id=\"verdict\"") == std::string::npos);
  CHECK(html.find("baseline plateau") == std::string::npos);
  CHECK(html.find("no verdict") == std::string::npos);
  CHECK(html.find("ops / errors") == std::string::npos);
  // One row per process of the report, with its pid and command line.
  const json report = json::parse(slurp(dir.file("w.json")));
  const json& processes = report["runs"][0]["processes"];
  REQUIRE(processes.size() >= 2);  // the command and its child
  for (const json& p : processes) {
    CHECK(html.find("<td>" + std::to_string(p["pid"].get<int>()) + "</td>") != std::string::npos);
  }
  CHECK(html.find(test_sut() + " --alloc-mib 20") != std::string::npos);
  CHECK(report["description"] == "memgate watch -- " + test_sut() +
                                     " --alloc-mib 20 --children 1 --child-mib 8 --run-ms 200");
}

TEST_CASE("watch: a one-shot command's report omits the metrics that mean nothing for it") {
  TempDir dir;
  auto r = run_memgate({"watch", "--interval-ms", "5", "--out", dir.file("once.json"), "--",
                        test_sut(), "--alloc-mib", "40"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  json report = json::parse(slurp(dir.file("once.json")));
  for (const json* metrics : {&report["metrics"], &report["runs"][0]["metrics"],
                              &report["runs"][0]["roles"]["sut"]["metrics"]}) {
    INFO(metrics->dump());
    CHECK(metrics->value("peak_bytes", 0) >= 40 * MiB);
    for (const char* omitted : {"growth_bytes_per_min", "plateau_bytes", "idle_bytes",
                                "residual_bytes", "retained_bytes", "throughput_per_s"}) {
      CHECK_FALSE(metrics->contains(omitted));
    }
  }
  CHECK(report["runs"][0]["sut_exit_status"] == 0);
  CHECK_THAT(r.output, !Catch::Contains("plateau") && !Catch::Contains("growth"));

  // With a warm-up that cuts the start-up off, and enough samples after it: plateau and growth.
  r = run_memgate({"watch", "--interval-ms", "5", "--warmup-s", "0.1", "--out",
                   dir.file("warm.json"), "--", test_sut(), "--alloc-mib", "40", "--run-ms",
                   "1000"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  report = json::parse(slurp(dir.file("warm.json")));
  const json& metrics = report["runs"][0]["metrics"];
  CHECK(metrics.value("plateau_bytes", 0) >= 40 * MiB);
  CHECK(metrics.contains("growth_bytes_per_min"));
  CHECK_FALSE(metrics.contains("residual_bytes"));
  CHECK(report["runs"][0]["phases"][0]["name"] == "warmup");
  CHECK_THAT(r.output,
             Catch::Contains("plateau ") && Catch::Contains("(median after the warm-up)"));
}

TEST_CASE("watch: a bad --out or --html is exit 2 before the command runs") {
  TempDir dir;
  const std::string marker = dir.file("marker");
  const std::string file = dir.write("file.txt", "a file, not a folder\n");
  struct Case {
    std::vector<std::string> options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--out", dir.path()}, "--out " + dir.path() + ": is a folder, not a file name"},
      {{"--html", dir.file("new/")}, "--html " + dir.file("new/") + ": is a folder"},
      {{"--out", file + "/w.json"},
       "--out " + file + "/w.json: cannot create its folder " + file + ": Not a directory"},
      {{"--html", "/proc/memgate-watch.html"},
       "--html /proc/memgate-watch.html: cannot write in its folder /proc"},
      {{"--out", "/dev/null"}, "--out /dev/null: exists and is not a regular file"},
      {{"--out", dir.file("w.json"), "--html", dir.file("w.json")},
       "--out and --html name the same file"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"watch"};
    args.insert(args.end(), c.options.begin(), c.options.end());
    args.insert(args.end(), {"--", "touch", marker});
    const auto r = run_memgate(args);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("error: " + c.message));
    CHECK_FALSE(std::filesystem::exists(marker));  // the command did not run
  }
  CHECK(std::filesystem::is_regular_file(file));
  // The same command with a good path runs: the marker shows the test can see it run.
  const auto ok = run_memgate({"watch", "--out", dir.file("w.json"), "--", "touch", marker});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(std::filesystem::exists(marker));
}

TEST_CASE("watch --no-exact-peak: the command's own peak stays whole, and the report says so") {
  TempDir dir;
  const auto r = run_memgate({"watch", "--interval-ms", "5", "--no-exact-peak", "--out",
                              dir.file("w.json"), "--", test_sut(), "--spike-mib", "100",
                              "--spike-ms", "20", "--run-ms", "300", "--print-own-peak"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto at = r.output.find("own-peak-kib=");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(r.output.substr(at + 13)) * 1024 >= 100 * MiB);  // nothing was reset
  const json report = json::parse(slurp(dir.file("w.json")));
  CHECK(report["runs"][0]["watch"]["exact_peak"] == false);
  CHECK(report["runs"][0]["metrics"]["peak_bytes"].get<std::int64_t>() >=
        100 * MiB);  // one process
}

namespace {

// The kernel's exit records need root (taskstats): CI runs as root, so there they must work.
void require_exit_records() {
  std::string why_not;
  if (memgate::TaskExitFeed::open(why_not)) return;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("CI=true runs as root: " << why_not);
  skip_test("no kernel exit records on this machine: " + why_not);
}

// Peaks of the rows of `report`: the SUT's root first, then the others in order.
std::vector<std::int64_t> row_peaks(const json& report) {
  std::vector<std::int64_t> peaks;
  for (const auto& p : report["runs"][0]["processes"]) peaks.push_back(p["peak_bytes"]);
  return peaks;
}

}  // namespace

TEST_CASE("watch: a parent that ran a 100 MiB child has its own row, and the note says why") {
  require_exit_records();
  TempDir dir;
  const auto r =
      run_memgate({"watch", "--interval-ms", "50", "--out", dir.file("w.json"), "--", test_sut(),
                   "--sequential-children", "1", "--child-mib", "100", "--child-ms", "300"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json report = json::parse(slurp(dir.file("w.json")));
  const json& rows = report["runs"][0]["processes"];
  REQUIRE(rows.size() == 2);
  const std::int64_t parent = rows[0]["peak_bytes"], child = rows[1]["peak_bytes"];
  CHECK(parent < 8 * MiB);  // wait4's rusage would say 100 MiB: its child's
  CHECK(child >= 100 * MiB);
  CHECK(child < 110 * MiB);
  // The high-water-mark reset is said once, with how to keep the marks.
  CHECK(count_of(r.output, "note: memgate resets each process's high-water mark") == 1);
  CHECK_THAT(r.output, Catch::Contains("--no-exact-peak"));
  CHECK(report["notes"].size() == 1);
}

TEST_CASE(
    "watch: three 20 ms children of 200 MiB over a 20 MiB parent, at 100 ms: 20 of 20 exact") {
  require_exit_records();
  TempDir dir;
  int off = 0;
  for (int run = 0; run < 20; ++run) {
    const std::string out = dir.file("w" + std::to_string(run) + ".json");
    const auto r =
        run_memgate({"watch", "--interval-ms", "100", "--out", out, "--", test_sut(), "--alloc-mib",
                     "20", "--sequential-children", "3", "--child-mib", "200", "--child-ms", "20"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const json report = json::parse(slurp(out));
    const auto peaks = row_peaks(report);
    REQUIRE(peaks.size() == 4);  // every child has its row, with its own peak
    const std::int64_t truth = peaks[0] + *std::max_element(peaks.begin() + 1, peaks.end());
    const std::int64_t peak = report["runs"][0]["metrics"]["peak_bytes"];
    INFO("run " << run << ": peak " << peak / MiB << " MiB, parent and one child " << truth / MiB
                << " MiB");
    CHECK(truth >= 220 * MiB);
    CHECK(std::abs(static_cast<double>(peak - truth)) <= 0.02 * static_cast<double>(truth));
    if (std::abs(static_cast<double>(peak - truth)) > 0.02 * static_cast<double>(truth)) ++off;
  }
  CHECK(off == 0);
}
