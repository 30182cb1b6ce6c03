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

TEST_CASE("security: a token a dying SUT logged is masked in every artifact but its own sut.log") {
  require_tool("python3", "python3");
  const std::string token = "leak-T0ken/" + fresh_token() + "-\"quoted\"_x*";
  TempDir dir;
  // The SUT logs every request's Authorization header, then dies after 20 requests: the run is
  // invalid and memgate quotes the SUT's last lines (the token in each) in every report, on the
  // console, in the history. A service prints the token too (it inherits memgate's environment):
  // its log is one memgate copies.
  json s = json::parse(R"json({
    "name": "leak",
    "services": {"echo": {"command": ["/usr/bin/python3", "-c",
                   "import os, time; print('echo', os.environ['MG_LEAK_TOKEN'], flush=True); time.sleep(600)"],
                 "ready": {"log": "echo"}}},
    "sut": {"command": ["/usr/bin/python3", "SERVICE", "--port", "{port}", "--http11",
                        "--log-requests", "--exit-after", "20"],
            "ready": {"log": "listening on"}},
    "watch": {"interval_ms": 20},
    "phases": {"idle_s": 0.2, "load_ops": 400, "load_timeout_s": 60, "cooldown_s": 0.2},
    "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/embed", "batch_size": 1,
               "concurrency": 1, "request": {"headers": {"Authorization": "Bearer {env:MG_LEAK_TOKEN}"}},
               "texts": {"generate": {"count": 50}}}
  })json");
  s["sut"]["command"][1] =
      std::string(MEMGATE_SOURCE_DIR) + "/tests/text_service/http_text_service.py";
  const std::string work = dir.file("work");
  fs::create_directories(work);
  const std::string file = dir.write("work/leak.json", s.dump());
  const std::map<std::string, std::string> env = {{"MG_LEAK_TOKEN", token}};
  const auto checked = run_memgate({"check", file, "--baselines", work + "/baselines", "--out",
                                    work + "/out", "--history", work + "/history.jsonl"},
                                   120, env, work);
  const auto made = run_memgate(
      {"baseline", file, "--baselines", work + "/baselines", "--repeat", "1"}, 120, env, work);
  const auto sharded = run_memgate({"check", file, "--baselines", work + "/baselines", "--shard",
                                    "1/1", "--out", work + "/shards/1"},
                                   120, env, work);
  const auto merged = run_memgate({"merge", work + "/shards/1", "--out", work + "/merged",
                                   "--history", work + "/merged/history.jsonl"},
                                  60, {}, work);
  INFO(checked.output << made.output << sharded.output << merged.output);
  CHECK(checked.exit_code == 3);
  CHECK(made.exit_code == 3);
  CHECK(sharded.exit_code == 3);
  CHECK(merged.exit_code == 3);
  // The SUT's last words are quoted, masked: the test would see the token if they were not.
  CHECK_THAT(checked.output, Catch::Contains("Authorization: Bearer {env:MG_LEAK_TOKEN}"));
  for (const auto& output : {checked.output, made.output, sharded.output, merged.output}) {
    CHECK(output.find(token) == std::string::npos);
    CHECK(output.find("leak-T0ken") == std::string::npos);
  }
  // Every byte of every file under the work folder: only the SUT's own logs hold the token.
  int files = 0, sut_logs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(work)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string text = slurp(entry.path().string());
    INFO(entry.path());
    if (entry.path().filename() == "sut.log") {
      CHECK(text.find(token) != std::string::npos);  // the documented exception: its own words
      ++sut_logs;
      continue;
    }
    CHECK(text.find(token) == std::string::npos);
    CHECK(text.find("leak-T0ken") == std::string::npos);  // no part of it either
  }
  CHECK(sut_logs == 3);  // check, baseline and the sharded check: one run each
  CHECK(files >= 20);    // reports of every format, echo.log, history, manifest, merged files
  for (const char* written :
       {"/out/report.json", "/out/report.html", "/out/junit.xml", "/out/summary.md",
        "/out/run1/echo.log", "/history.jsonl", "/merged/junit.xml", "/merged/summary.md"}) {
    INFO(written);
    CHECK(fs::exists(work + written));
  }
  CHECK_THAT(slurp(work + "/out/run1/echo.log"), Catch::Contains("echo {env:MG_LEAK_TOKEN}"));
  CHECK_THAT(slurp(work + "/out/junit.xml"), Catch::Contains("{env:MG_LEAK_TOKEN}"));
}

TEST_CASE("security: a secret too short to mask is refused before anything runs") {
  TempDir dir;
  json s = json::parse(R"({
    "name": "short", "sut": {"command": ["/bin/true"]},
    "phases": {"load_ops": 10},
    "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/",
               "request": {"headers": {"X-Tenant": "{env:MG_SHORT_SECRET}"}},
               "texts": {"generate": {"count": 5}}}
  })");
  const std::string file = dir.write("short.json", s.dump());
  const auto r =
      run_memgate({"run", file, "--out", dir.file("out")}, 60, {{"MG_SHORT_SECRET", "42"}});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("/driver/request/headers/X-Tenant") &&
                           Catch::Contains("2 byte(s)") && Catch::Contains("for secrets"));
  CHECK_FALSE(fs::exists(dir.file("out/report.json")));
}
