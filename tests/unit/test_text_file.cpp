// Files memgate writes: a set of report files replaced as one, history lines whole or not at all.
// (The full-disk cases run against a real tmpfs in tests/integration/test_faults.cpp.)

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/report/history.hpp"
#include "support/temp_dir.hpp"

using namespace memgate;
using memgate::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("text files: a report set replaces the previous one, leaving no temporary folder") {
  TempDir dir;
  write_file_set_atomic(dir.path(), {{"a.json", "{\"v\": 1}\n"}, {"b.md", "one\n"}});
  write_file_set_atomic(dir.path(), {{"a.json", "{\"v\": 2}\n"}, {"b.md", "two\n"}});
  CHECK(read_text_file(dir.file("a.json")) == "{\"v\": 2}\n");
  CHECK(read_text_file(dir.file("b.md")) == "two\n");
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++entries;
    struct stat st {};
    REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
  }
  CHECK(entries == 2);
}

TEST_CASE("text files: a set whose file cannot be written changes nothing") {
  TempDir dir;
  write_file_set_atomic(dir.path(), {{"a.json", "old a\n"}, {"b.md", "old b\n"}});
  // A name that cannot be a file in the folder (a path through a missing folder).
  CHECK_THROWS_AS(
      write_file_set_atomic(dir.path(), {{"a.json", "new a\n"}, {"missing/b.md", "new b\n"}}),
      RunError);
  CHECK(read_text_file(dir.file("a.json")) == "old a\n");
  CHECK(read_text_file(dir.file("b.md")) == "old b\n");
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK_THAT(entry.path().filename().string(), !Catch::StartsWith(".report-set"));
  }
}

TEST_CASE("text files: a line cut short by an older writer is removed, never glued to the next") {
  TempDir dir;
  const std::string path = dir.file("history.jsonl");
  write_file_atomic(path, "{\"scenario\": \"a\"}\n{\"scenario\": \"b\", \"metr");  // a crash
  const std::string note = append_line(path, "{\"scenario\": \"c\"}");
  CHECK_THAT(note, Catch::Contains("cut short") && Catch::Contains("23 bytes"));
  CHECK(read_text_file(path) == "{\"scenario\": \"a\"}\n{\"scenario\": \"c\"}\n");
  CHECK(append_line(path, "{\"scenario\": \"d\"}").empty());
  CHECK(read_text_file(path) ==
        "{\"scenario\": \"a\"}\n{\"scenario\": \"c\"}\n{\"scenario\": \"d\"}\n");
  // A file that is one cut line holds nothing but the new one afterwards.
  write_file_atomic(path, "{\"scen");
  CHECK_FALSE(append_line(path, "{\"scenario\": \"e\"}").empty());
  CHECK(read_text_file(path) == "{\"scenario\": \"e\"}\n");
}

TEST_CASE("text files: an unwritable history is a RunError naming it") {
  TempDir dir;
  CHECK_THROWS_WITH(append_line(dir.file("missing/h.jsonl"), "{}"),
                    Catch::Contains(dir.file("missing/h.jsonl")));
}
