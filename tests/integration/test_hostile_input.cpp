// Hostile input files, black box through the CLI: each is refused cleanly (exit 2, the file named,
// a short message), never a crash, a hang or an echo of megabytes. And a baseline write killed
// at any point leaves the old file or the new one, never a mix.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <random>

#include "core/model/text_file.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;

namespace {

json shipped_scenario() {
  return json::parse(slurp(std::string(MEMGATE_SOURCE_DIR) + "/scenarios/redis-queue.json"));
}

// The shipped scenario as text with one value replaced by raw text (which may not be JSON).
std::string with_raw_value(const std::string& pointer, const std::string& raw) {
  json s = shipped_scenario();
  s[json::json_pointer(pointer)] = "@@RAW@@";
  std::string text = s.dump(1);
  text.replace(text.find("\"@@RAW@@\""), 9, raw);
  return text;
}

struct HostileCase {
  const char* what;
  std::string content;
  std::string expected;  // in the message, beside the file name
};

}  // namespace

TEST_CASE("hostile scenarios: huge, negative, NaN, deep, non-UTF-8 and 10 MB input is exit 2") {
  const std::vector<HostileCase> cases = {
      {"huge count", with_raw_value("/driver/producers", "1e30"), "/driver/producers"},
      {"integer past 64 bits", with_raw_value("/driver/payload_bytes", "18446744073709551616"),
       "/driver/payload_bytes"},
      {"huge duration", with_raw_value("/phases/load_s", "1e308"), "/phases/load_s"},
      {"number past double", with_raw_value("/phases/load_s", "1e400"), ""},
      {"negative duration", with_raw_value("/phases/load_s", "-1"), "/phases/load_s"},
      {"negative grace", with_raw_value("/sut/stop_grace_s", "-0.5"), "/sut/stop_grace_s"},
      {"NaN", with_raw_value("/phases/load_s", "NaN"), ""},
      {"Infinity", with_raw_value("/phases/load_s", "Infinity"), ""},
      {"deep nesting", with_raw_value("/description", std::string(100'000, '[') +
                                                          std::string(100'000, ']')), ""},
      {"deep nesting, unclosed", std::string(1'000'000, '['), ""},
      {"non-UTF-8 bytes", with_raw_value("/name", "\"redis-\xff\xfe-queue\""), ""},
      {"a lone surrogate", with_raw_value("/name", "\"\\ud800\""), ""},
      {"a NUL in a name", with_raw_value("/name", "\"a\\u0000b\""), "/name: 'a\\x00b'"},
      {"10 MB string", with_raw_value("/description", '"' + std::string(10 << 20, 'a') + '"'),
       "larger than"},
      {"empty file", "", ""},
      {"binary garbage", std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10), ""},
      {"an array", "[]", ""},
      {"a number where an argv is", with_raw_value("/sut/command", "42"), "/sut/command"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string file = dir.write("hostile.json", c.content);
    const auto r = run_memgate({"validate", file}, 60);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(file));
    if (!c.expected.empty()) CHECK_THAT(r.output, Catch::Contains(c.expected));
    CHECK(r.output.size() < 8 * 1024);  // the input is not echoed back
    // What is echoed is printable: no NUL, no byte that is not UTF-8.
    CHECK(r.output.find('\0') == std::string::npos);
    CHECK(r.output.find_first_of("\xfe\xff") == std::string::npos);
  }
}

TEST_CASE("a baseline write killed at any point leaves the old or the new file, whole") {
  TempDir dir;
  const std::string path = dir.file("baseline.json");
  // Two versions big enough that a write takes many system calls.
  const std::string old_text(1 << 20, 'o');
  const std::string new_text((1 << 20) + 4096, 'n');
  write_file_atomic(path, old_text);
  std::mt19937 random(20261121);
  std::uniform_int_distribution<int> delay_us(0, 50'000);
  int saw_new = 0;
  for (int round = 0; round < 40; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (int i = 0;; ++i) write_file_atomic(path, i % 2 == 0 ? new_text : old_text);
      } catch (...) {
      }
      ::_exit(1);  // never back into the test runner
    }
    // Killing the writer at a random point of its loop: the kill point is what varies, nothing
    // waits on it.
    ::usleep(static_cast<useconds_t>(delay_us(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    const std::string now = slurp(path);
    const bool whole = now == old_text || now == new_text;
    CHECK(whole);
    if (now == new_text) ++saw_new;
  }
  // How often the writer got as far as a rename (depends on the disk's fsync time).
  if (saw_new == 0) WARN("no write completed before its kill: only the old file was seen");
}
