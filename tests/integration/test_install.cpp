// memgate as a team installs it: `cmake --install` (what `make install` runs) into a temporary
// prefix, used from a folder outside the checkout with PATH limited to it and the system, reading
// nothing of the source or build tree; and the Debian package, built with CPack, installed with
// apt-get, used in a fresh repository and removed.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
namespace fs = std::filesystem;

namespace {

const std::string kSystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A Python job that keeps 40 MiB: a command scenario memgate can run and explain (tracemalloc).
std::string write_job_scenario(const TempDir& work) {
  work.write("job.py", "import time\nkept = bytearray(40 << 20)\ntime.sleep(0.3)\n");
  return work.write("job.json", R"({"name": "job",
      "sut": {"command": ["/usr/bin/python3", "{scenario_dir}/job.py"]},
      "watch": {"interval_ms": 20}, "phases": {"load_timeout_s": 60},
      "driver": {"type": "command"}})");
}

// The lines of an strace log that name a path under the source or the build tree.
std::vector<std::string> tree_paths_in(const std::string& trace) {
  std::vector<std::string> hits;
  std::istringstream lines(slurp(trace));
  for (std::string line; std::getline(lines, line);) {
    if (line.find(std::string(MEMGATE_SOURCE_DIR) + "/") != std::string::npos ||
        line.find(std::string(MEMGATE_BUILD_DIR) + "/") != std::string::npos) {
      hits.push_back(line);
    }
  }
  return hits;
}

}  // namespace

TEST_CASE(
    "install: the installed program works outside the checkout and reads nothing of the "
    "source or build tree") {
  require_tool("cmake", "cmake");
  require_tool("strace", "strace");
  require_python_module("tracemalloc", "python3");
  TempDir dest, work;
  const auto installed =
      run_program({"cmake", "--install", MEMGATE_BUILD_DIR, "--prefix", "/usr/local", "--strip"},
                  120, {{"DESTDIR", dest.path()}});
  INFO(installed.output);
  REQUIRE(installed.exit_code == 0);
  const std::string prefix = dest.path() + "/usr/local";
  const std::string exe = prefix + "/bin/memgate";
  for (const std::string& file :
       {exe, prefix + "/share/memgate/scenario.schema.json", prefix + "/share/man/man1/memgate.1",
        prefix + "/share/doc/memgate/README.md"}) {
    INFO(file);
    CHECK(fs::is_regular_file(file));
  }
  // The program itself names no file of the trees it was built from (a sanitizer build does:
  // ASan's and UBSan's reports carry the source file of every global and every check).
  const std::string binary = slurp(exe);
  REQUIRE(binary.size() > 100'000);
  if (std::string(MEMGATE_TEST_SANITIZE).empty()) {
    CHECK(binary.find(std::string(MEMGATE_SOURCE_DIR) + "/") == std::string::npos);
  }

  const std::string scenario = write_job_scenario(work);
  std::map<std::string, std::string> env = {{"PATH", prefix + "/bin:" + kSystemPath}};
  // LeakSanitizer cannot work under ptrace (strace): in a sanitizer build it would fail the run.
  if (!std::string(MEMGATE_TEST_SANITIZE).empty()) env["ASAN_OPTIONS"] = "detect_leaks=0";
  const auto version = run_program({"memgate", "--version"}, 30, env, work.path());
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output,
             Catch::StartsWith(std::string("memgate ") + MEMGATE_VERSION + " (commit "));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"validate", scenario},
        {"run", scenario, "--out", work.file("out"), "--quiet"},
        {"explain", scenario, "--out", work.file("explain"), "--quiet"}}) {
    INFO(args[0]);
    const std::string trace = work.file("trace-" + args[0] + ".txt");
    std::vector<std::string> argv{"strace", "-f",  "-qq",    "-e", "trace=%file,execve",
                                  "-o",     trace, "memgate"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_program(argv, 120, env, work.path());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    REQUIRE(fs::file_size(trace) > 0);
    const auto hits = tree_paths_in(trace);
    for (const auto& hit : hits) UNSCOPED_INFO(hit);
    CHECK(hits.empty());
  }
  CHECK(fs::exists(work.file("out/report.html")));
  CHECK_THAT(slurp(work.file("explain/explain.md")), Catch::Contains("job.py"));
}

namespace {

// Removes the memgate package when the test ends, however it ends.
struct PackageGuard {
  bool installed = false;
  ~PackageGuard() {
    if (installed)
      run_program({"apt-get", "remove", "-y", "-q", "memgate"}, 300,
                  {{"DEBIAN_FRONTEND", "noninteractive"}});
  }
};

std::string field(const std::string& control, const std::string& name) {
  std::smatch m;
  return std::regex_search(control, m, std::regex("\\n " + name + ": ([^\\n]*)")) ? m[1].str() : "";
}

}  // namespace

TEST_CASE(
    "package: the .deb has Depends from its libraries and apt-get installs it for init "
    "baseline and check in a fresh repository and removes it cleanly",
    "[serial]") {
  if (::geteuid() != 0) skip_test("installing a Debian package needs root");
  require_tool("dpkg-shlibdeps", "dpkg-dev");
  require_tool("git", "git");
  if (run_program({"dpkg-query", "-W", "-f", "${Status}", "memgate"}, 30)
          .output.find("install ok installed") != std::string::npos) {
    skip_test("a memgate package is installed on this machine: the test would replace it");
  }
  TempDir out, repo;
  const auto packed = run_program({"cpack", "-G", "DEB", "-B", out.path(), "--config",
                                   std::string(MEMGATE_BUILD_DIR) + "/CPackConfig.cmake"},
                                  300);
  INFO(packed.output);
  REQUIRE(packed.exit_code == 0);
  std::string deb;
  for (const auto& entry : fs::directory_iterator(out.path())) {
    if (entry.path().extension() == ".deb") deb = entry.path().string();
  }
  REQUIRE_THAT(deb, Catch::Contains(std::string("memgate_") + MEMGATE_VERSION + "_"));

  const std::string control = run_program({"dpkg-deb", "-I", deb}, 30).output;
  INFO(control);
  CHECK_THAT(field(control, "Depends"), Catch::Contains("libc6") &&
                                            Catch::Contains("libhiredis0.14") &&
                                            Catch::Contains("libstdc++6"));
  CHECK(field(control, "Recommends") == "redis-server");
  CHECK(field(control, "Suggests") == "heaptrack, wrk, python3");
  const std::string contents = run_program({"dpkg-deb", "-c", deb}, 30).output;
  CHECK_THAT(contents, Catch::Contains("./usr/bin/memgate") &&
                           Catch::Contains("./usr/share/memgate/scenario.schema.json") &&
                           !Catch::Contains(MEMGATE_BUILD_DIR) &&
                           !Catch::Contains(MEMGATE_SOURCE_DIR));

  PackageGuard guard;
  const auto install = run_program({"apt-get", "install", "-y", "-q", deb}, 600,
                                   {{"DEBIAN_FRONTEND", "noninteractive"}});
  INFO(install.output);
  REQUIRE(install.exit_code == 0);
  guard.installed = true;
  const std::map<std::string, std::string> env = {{"PATH", kSystemPath}};
  CHECK_THAT(run_program({"memgate", "--version"}, 30, env).output,
             Catch::StartsWith(std::string("memgate ") + MEMGATE_VERSION));
  REQUIRE(run_program({"git", "init", "-q", repo.path()}, 30).exit_code == 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"init", "--kind", "command"},
        {"baseline", "--quiet"},
        {"check", "--quiet"}}) {
    std::vector<std::string> argv{"/usr/bin/memgate"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_program(argv, 120, env, repo.path());
    INFO(r.output);
    CHECK(r.exit_code == 0);
  }
  CHECK(fs::exists(repo.file("memgate/baselines/example.json")));

  const auto removed = run_program({"apt-get", "remove", "-y", "-q", "memgate"}, 300,
                                   {{"DEBIAN_FRONTEND", "noninteractive"}});
  CHECK(removed.exit_code == 0);
  guard.installed = removed.exit_code != 0;
  CHECK_FALSE(fs::exists("/usr/bin/memgate"));
  CHECK_FALSE(fs::exists("/usr/share/memgate"));
}
