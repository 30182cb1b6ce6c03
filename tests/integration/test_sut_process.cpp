// The SUT launcher on real processes: output and log, readiness texts, errors with hints,
// stopping whole trees (also ones that ignore SIGTERM or leave orphans), the memory cgroup.

#include <catch2/catch.hpp>

#include <algorithm>

#include "core/model/errors.hpp"
#include "runtime/process/sut_process.hpp"
#include "runtime/watch/cgroup_peak.hpp"
#include "runtime/watch/proc_tree_source.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;

namespace {
const auto always = [] { return true; };
}

TEST_CASE("the SUT's output goes to its log file, its exit status is kept") {
  TempDir dir;
  LaunchSpec spec;
  spec.argv = {test_sut(), "--ready-text", "hello from the SUT", "--exit-code", "3"};
  spec.log_path = dir.file("sut.log");
  SutProcess sut(spec);
  const auto exit = sut.wait_exit(30'000);
  REQUIRE(exit);
  CHECK(exit->exited_normally());
  CHECK(exit->exit_code() == 3);
  CHECK(exit->describe() == "exited with status 3");
  sut.stop(0);
  CHECK_THAT(slurp(dir.file("sut.log")), Catch::Contains("hello from the SUT"));
  const auto tail = sut.log_tail();
  CHECK(std::find(tail.begin(), tail.end(), "hello from the SUT") != tail.end());
}

TEST_CASE("a crash is reported with its signal") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--crash"};
  SutProcess sut(spec);
  const auto exit = sut.wait_exit(30'000);
  REQUIRE(exit);
  CHECK_FALSE(exit->exited_normally());
  CHECK(exit->term_signal() == SIGSEGV);
  CHECK_THAT(exit->describe(), Catch::StartsWith("killed by signal 11 (SIGSEGV)"));
}

TEST_CASE("watched texts are counted from the first byte, however early they come") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--ready-text", "ready now", "--hold"};
  spec.watched_texts = {"ready now", "holding"};
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  CHECK(sut.output()->count("ready now") == 1);  // printed before we asked
  CHECK(sut.output()->count("not watched") == 0);
  ::kill(sut.pid(), SIGUSR1);
  REQUIRE(sut.wait_exit(30'000));
}

TEST_CASE("programs that cannot be found fail with an install hint") {
  try {
    resolve_program("redis-server", "", {{"PATH", "/nonexistent"}});
    FAIL("resolved");
  } catch (const RunError& e) {
    CHECK(e.code() == ExitCode::run_failed);
    CHECK_THAT(e.what(), Catch::Contains("'redis-server' not found on PATH"));
    CHECK_THAT(e.hint(), Catch::Contains("apt-get install redis-server"));
  }
  CHECK_THROWS_WITH(resolve_program("./no-such-program", "/tmp", {}),
                    Catch::Contains("cannot run '/tmp/./no-such-program'"));
  LaunchSpec spec;
  spec.argv = {test_sut()};
  spec.cwd = "/nonexistent-folder";
  CHECK_THROWS_AS(SutProcess(spec), RunError);
}

TEST_CASE("stop() ends a tree that ignores SIGTERM, children included") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--children", "2", "--child-mib", "1", "--ignore-sigterm", "--hold"};
  spec.watched_texts = {"holding"};
  TempDir dir;
  spec.log_path = dir.file("sut.log");
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  const auto pids = printed_pids(slurp(dir.file("sut.log")));
  REQUIRE(pids.size() == 3);
  for (int pid : pids) CHECK(process_alive(pid));
  const auto exit = sut.stop(0.2);
  REQUIRE(exit);
  CHECK(exit->term_signal() == SIGKILL);  // SIGTERM was ignored
  for (int pid : pids) CHECK_FALSE(process_alive(pid));
}

TEST_CASE("an orphan re-parented to memgate stays in the tree and is stopped") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--orphan", "--child-mib", "2"};
  spec.watched_texts = {"orphan-started"};
  TempDir dir;
  spec.log_path = dir.file("sut.log");
  SutProcess sut(spec);
  REQUIRE(sut.wait_exit(30'000));  // the root exited, the orphan lives on
  REQUIRE(sut.output()->wait_for_count("orphan-started", 1, 30'000, always));
  const auto pids = printed_pids(slurp(dir.file("sut.log")));
  REQUIRE(pids.size() == 2);
  const int orphan = pids[1];
  REQUIRE(process_alive(orphan));
  ProcTreeSource tree(sut.pid(), WatchSpec{}, sut.launch_sequence());
  const auto members = tree.pids();
  CHECK(std::find(members.begin(), members.end(), orphan) != members.end());
  sut.stop(5);
  CHECK_FALSE(process_alive(orphan));
}

TEST_CASE("the SUT joins its own memory cgroup where the machine allows one") {
  std::string why_not;
  const auto cgroup = CgroupPeak::try_create(why_not);
  if (!cgroup) skip_test("no memory cgroup can be created here: " + why_not);
  LaunchSpec spec;
  spec.argv = {test_sut(), "--alloc-mib", "64", "--hold"};
  spec.watched_texts = {"holding"};
  spec.cgroup_procs_fd = cgroup->procs_fd();
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  const auto members = cgroup->pids();
  CHECK(std::find(members.begin(), members.end(), sut.pid()) != members.end());
  REQUIRE(cgroup->peak_bytes());
  CHECK(*cgroup->peak_bytes() >= 64 * 1024 * 1024);
  sut.stop(5);
}
