// Security properties: no shell anywhere, loopback-only load targets, passwords only from the
// environment and never written anywhere, files 0644 and no world-writable folders.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "runtime/process/sut_process.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("security: no shell anywhere: memgate's sources start programs from argv only") {
  // The ways a C++ program reaches a shell: system(3), popen(3), an explicit /bin/sh, and
  // Boost.Process's shell helpers.
  const std::regex shell(R"(\b(std::)?(system|popen)\s*\(|/bin/sh|bp::shell|process::shell|search_path\s*\(\s*"sh")");
  int files = 0;
  std::vector<std::string> hits;
  for (const auto& entry : fs::recursive_directory_iterator(std::string(MEMGATE_SOURCE_DIR) + "/harness")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::istringstream lines(slurp(entry.path().string()));
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
      ++number;
      if (std::regex_search(line, shell)) {
        hits.push_back(entry.path().string() + ":" + std::to_string(number) + ": " + line);
      }
    }
  }
  CHECK(files > 50);  // the walk found the sources
  for (const auto& hit : hits) UNSCOPED_INFO(hit);
  CHECK(hits.empty());
}

TEST_CASE("security: a SUT command is an argv: shell syntax reaches the program verbatim") {
  TempDir dir;
  LaunchSpec spec;
  spec.argv = {test_sut(), "--ready-text", "$(touch " + dir.file("pwned") + "); `id` | ;"};
  spec.log_path = dir.file("sut.log");
  SutProcess sut(spec);
  REQUIRE(sut.wait_exit(30'000));
  sut.output()->stop();  // the log holds everything the program wrote once its pump has drained
  CHECK_THAT(slurp(dir.file("sut.log")), Catch::Contains("$(touch " + dir.file("pwned") + "); `id` | ;"));
  CHECK_FALSE(fs::exists(dir.file("pwned")));
}

TEST_CASE("security: load targets must be loopback unless --allow-remote") {
  TempDir dir;
  json s = json::parse(slurp(std::string(MEMGATE_SOURCE_DIR) + "/scenarios/redis-queue.json"));
  for (const std::string host : {"10.1.2.3", "redis.example.com", "0.0.0.0"}) {
    INFO(host);
    s["driver"]["host"] = host;
    const std::string file = dir.write("remote.json", s.dump());
    const auto r = run_memgate({"run", file, "--out", dir.file("out"), "--quiet"}, 60);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("/driver/host") && Catch::Contains("not a loopback"));
  }
  s["driver"]["host"] = "::1";
  const auto ok = run_memgate({"validate", dir.write("v6.json", s.dump())}, 60);
  CHECK(ok.exit_code == 0);
}

namespace {

// Every file and folder under root, with its mode.
std::vector<std::pair<std::string, mode_t>> modes_under(const std::string& root) {
  std::vector<std::pair<std::string, mode_t>> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
    out.emplace_back(entry.path().string(), st.st_mode);
  }
  return out;
}

}  // namespace

TEST_CASE("security: a planted password is nowhere in the outputs, files are 0644 even with umask 0") {
  require_tool("redis-server", "redis-server");
  const std::string secret = "planted-S3cret-7f3a9c";
  TempDir dir;
  // Redis learns the password from a config file, memgate from the environment: the scenario
  // holds neither.
  const std::string conf = dir.write("redis.conf", "requirepass " + secret + "\n");
  json s = json::parse(R"({
    "name": "secret",
    "sut": {"command": ["redis-server", "CONF", "--port", "{port}", "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no"],
            "ready": {"tcp": "127.0.0.1:{port}", "timeout_s": 10}, "stop_grace_s": 2},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_s": 1.5, "cooldown_s": 0.5},
    "driver": {"type": "redis-queue", "port": "{port}", "producers": 1, "consumers": 1,
               "pipeline": 8, "payload_bytes": 64, "rate_per_s": 2000,
               "password_env": "MG_TEST_SECRET"}
  })");
  s["sut"]["command"][1] = conf;
  const std::string work = dir.file("work");
  REQUIRE(::mkdir(work.c_str(), 0755) == 0);
  const std::string file = dir.write("work/secret.json", s.dump());
  const std::map<std::string, std::string> env = {{"MG_TEST_SECRET", secret}};

  const mode_t before = ::umask(0);  // the most permissive: memgate must not rely on the umask
  const auto made = run_memgate({"baseline", file, "--baselines", work + "/baselines", "--repeat",
                                 "1"}, 120, env, work);
  const auto checked = run_memgate({"check", file, "--baselines", work + "/baselines", "--out",
                                    work + "/out", "--history", work + "/history/h.jsonl"},
                                   120, env, work);
  const auto wrong = run_memgate({"run", file, "--out", work + "/wrong"}, 120,
                                 {{"MG_TEST_SECRET", secret + "-but-wrong"}}, work);
  ::umask(before);
  INFO(made.output << checked.output << wrong.output);
  REQUIRE(made.exit_code == 0);
  REQUIRE((checked.exit_code == 0 || checked.exit_code == 1));  // a verdict, written everywhere
  CHECK(wrong.exit_code == 3);

  for (const auto& output : {made.output, checked.output, wrong.output}) {
    CHECK(output.find(secret) == std::string::npos);
  }
  int files = 0;
  for (const auto& [path, mode] : modes_under(work)) {
    INFO(path);
    if (S_ISDIR(mode)) {
      CHECK((mode & S_IWOTH) == 0);
      CHECK((mode & S_IWGRP) == 0);
      continue;
    }
    ++files;
    if (path != file) CHECK((mode & 07777) == 0644);
    CHECK(slurp(path).find(secret) == std::string::npos);
  }
  CHECK(files >= 10);  // baseline, reports of three runs, logs, history
  CHECK(fs::exists(work + "/baselines/secret.json"));
  CHECK(fs::exists(work + "/history/h.jsonl"));
}
