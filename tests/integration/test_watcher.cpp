// The watcher: the peak logic on scripted readings (exact), then on real processes that touch a
// known amount of memory.

#include <catch2/catch.hpp>

#include <deque>

#include "runtime/process/sut_process.hpp"
#include "runtime/watch/proc_tree_source.hpp"
#include "runtime/watch/watcher.hpp"
#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;

namespace {

constexpr std::int64_t MiB = 1024 * 1024;
const auto always = [] { return true; };

// Replays scripted snapshots, one per read, and records whether each read asked for hwm.
class ScriptedSource : public TreeSource {
 public:
  explicit ScriptedSource(std::deque<TreeSnapshot> script, std::vector<bool>* asked)
      : script_(std::move(script)), asked_(asked) {}
  TreeSnapshot read(bool with_hwm) override {
    asked_->push_back(with_hwm);
    REQUIRE_FALSE(script_.empty());
    TreeSnapshot s = script_.front();
    script_.pop_front();
    return s;
  }

 private:
  std::deque<TreeSnapshot> script_;
  std::vector<bool>* asked_;
};

ProcessMemory mem(int pid, std::int64_t bytes, std::optional<std::int64_t> hwm) {
  ProcessMemory p;
  p.pid = pid;
  p.bytes = bytes;
  p.hwm_bytes = hwm;
  return p;
}

// An interval so long that the thread never ticks: exactly the start and stop reads happen.
RoleWatch watch_two_reads(std::deque<TreeSnapshot> script, MemoryKind kind,
                            std::vector<bool>& asked) {
  Watcher w(std::make_unique<ScriptedSource>(std::move(script), &asked), {60'000, kind, 50},
            std::chrono::steady_clock::now());
  w.start();
  return w.stop().front();
}

RoleWatch watch_sut_until(const std::vector<std::string>& args, const std::string& text,
                            int interval_ms) {
  LaunchSpec spec;
  spec.argv = {test_sut()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.watched_texts = {text};
  SutProcess sut(spec);
  Watcher w(std::make_unique<ProcTreeSource>(sut.pid(), MemoryKind::rss, sut.launch_sequence()),
            {interval_ms, MemoryKind::rss, 50}, std::chrono::steady_clock::now());
  w.start();
  REQUIRE(sut.output()->wait_for_count(text, 1, 60'000, always));
  RoleWatch r = w.stop().front();  // its last read takes the high-water marks, the SUT alive
  sut.stop(5);
  return r;
}

}  // namespace

TEST_CASE("peak: the window sum of high-water marks counts a spike between samples") {
  std::vector<bool> asked;
  const auto r = watch_two_reads(
      {TreeSnapshot{{mem(1, 10 * MiB, std::nullopt), mem(2, 5 * MiB, std::nullopt)}, false, {}},
       TreeSnapshot{{mem(1, 12 * MiB, 40 * MiB), mem(2, 5 * MiB, 6 * MiB)}, true, {}}},
      MemoryKind::rss, asked);
  CHECK(asked == std::vector<bool>{false, true});  // the last read takes high-water marks
  CHECK(r.samples.size() == 2);
  CHECK(r.max_sample_bytes == 17 * MiB);
  CHECK(r.hwm_peak_bytes == 46 * MiB);
  CHECK(r.peak_bytes == 46 * MiB);
  CHECK(r.hwm_complete);
  CHECK(r.max_processes == 2);
}

TEST_CASE("peak: an incomplete high-water read is not used") {
  std::vector<bool> asked;
  const auto r = watch_two_reads(
      {TreeSnapshot{{mem(1, 10 * MiB, std::nullopt)}, false, {}},
       TreeSnapshot{{mem(1, 12 * MiB, 99 * MiB)}, false, {}}},
      MemoryKind::rss, asked);
  CHECK_FALSE(r.hwm_complete);
  CHECK(r.peak_bytes == 12 * MiB);
}

TEST_CASE("peak: a reaped process's rusage peak counts") {
  std::vector<bool> asked;
  const auto r = watch_two_reads(
      {TreeSnapshot{{mem(1, 10 * MiB, std::nullopt)}, false, {}}, TreeSnapshot{{}, false, {{9, 150 * MiB}}}},
      MemoryKind::rss, asked);
  CHECK(r.exit_peak_bytes == 150 * MiB);
  CHECK(r.peak_bytes == 150 * MiB);
}

TEST_CASE("peak: in pss mode high-water marks (RSS) are reported, not folded in") {
  std::vector<bool> asked;
  const auto r = watch_two_reads(
      {TreeSnapshot{{mem(1, 10 * MiB, std::nullopt)}, false, {}},
       TreeSnapshot{{mem(1, 8 * MiB, 30 * MiB)}, true, {}}},
      MemoryKind::pss, asked);
  CHECK(r.hwm_peak_bytes == 30 * MiB);
  CHECK(r.peak_bytes == 10 * MiB);
}

TEST_CASE("the peak of a process is within a few percent of what it touched") {
  const auto r = watch_sut_until({"--alloc-mib", "100", "--hold"}, "holding", 10);
  CHECK(r.peak_bytes >= 100 * MiB);
  CHECK(r.peak_bytes <= 105 * MiB + 4 * MiB);  // the program itself: a few MiB
  CHECK(r.max_sample_bytes >= 100 * MiB);
}

TEST_CASE("a 200 MiB spike of 20 ms counts in the peak at a 200 ms interval") {
  // The spike comes after several high-water windows (100 ms) were read and reset.
  const auto r = watch_sut_until({"--spike-delay-ms", "500", "--spike-mib", "200", "--spike-ms",
                                  "20", "--hold"},
                                 "holding", 200);
  CHECK(r.hwm_complete);
  CHECK(r.peak_bytes >= 200 * MiB);
  CHECK(r.hwm_peak_bytes >= 200 * MiB);
}

TEST_CASE("a parent with two concurrent 100 MiB children peaks at 200 MiB or more") {
  const auto r = watch_sut_until({"--children", "2", "--child-mib", "100", "--hold"}, "holding",
                                 50);
  CHECK(r.max_processes >= 3);
  CHECK(r.peak_bytes >= 200 * MiB);
}

TEST_CASE("a child forked by a thread is part of the tree") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--thread-child-mib", "64", "--hold"};
  spec.watched_texts = {"holding"};
  SutProcess sut(spec);
  Watcher w(std::make_unique<ProcTreeSource>(sut.pid(), MemoryKind::rss, sut.launch_sequence()),
            {10, MemoryKind::rss, 100}, std::chrono::steady_clock::now());
  w.start();
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  // Samples that started after the child existed.
  REQUIRE(w.wait_for_samples(w.sample_count() + 3, 30'000));
  CHECK(w.last_process_count() == 2);
  const auto r = w.stop().front();
  sut.stop(5);
  CHECK(r.max_processes == 2);
  CHECK(r.max_sample_bytes >= 64 * MiB);
}

TEST_CASE("a daemon that left the SUT's session and lost its parent is still counted") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--daemon-child", "--child-mib", "48", "--hold"};
  spec.watched_texts = {"holding"};
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  ProcTreeSource source(sut.pid(), MemoryKind::rss, sut.launch_sequence());
  const auto snapshot = source.read(true);
  CHECK(snapshot.processes.size() == 2);
  std::int64_t total = 0;
  for (const auto& p : snapshot.processes) total += p.bytes;
  CHECK(total >= 48 * MiB);
  CHECK(snapshot.hwm_complete);
  sut.stop(5);
}

TEST_CASE("a process that exits between two samples keeps its peak (rusage)") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--alloc-mib", "150"};
  SutProcess sut(spec);
  Watcher w(std::make_unique<ProcTreeSource>(sut.pid(), MemoryKind::rss, sut.launch_sequence()),
            {60'000, MemoryKind::rss, 50}, std::chrono::steady_clock::now());
  w.start();
  REQUIRE(sut.wait_exit(30'000));
  const auto r = w.stop().front();
  CHECK(r.exit_peak_bytes >= 150 * MiB);
  CHECK(r.peak_bytes >= 150 * MiB);
}

TEST_CASE("a 1 ms interval works") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--alloc-mib", "8", "--hold"};
  spec.watched_texts = {"holding"};
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  Watcher w(std::make_unique<ProcTreeSource>(sut.pid(), MemoryKind::rss, sut.launch_sequence()),
            {1, MemoryKind::rss, 50}, std::chrono::steady_clock::now());
  w.start();
  REQUIRE(w.wait_for_samples(300, 60'000));
  const auto r = w.stop().front();
  sut.stop(5);
  REQUIRE(r.samples.size() >= 300);
  for (std::size_t i = 1; i < r.samples.size(); ++i) {
    CHECK(r.samples[i].t_ms > r.samples[i - 1].t_ms);
  }
  CHECK(r.max_sample_bytes >= 8 * MiB);
}

TEST_CASE("pss mode reads proportional set size") {
  LaunchSpec spec;
  spec.argv = {test_sut(), "--alloc-mib", "32", "--hold"};
  spec.watched_texts = {"holding"};
  SutProcess sut(spec);
  REQUIRE(sut.output()->wait_for_count("holding", 1, 30'000, always));
  ProcTreeSource pss(sut.pid(), MemoryKind::pss, sut.launch_sequence());
  ProcTreeSource rss(sut.pid(), MemoryKind::rss, sut.launch_sequence());
  const auto p = pss.read(false);
  const auto r = rss.read(false);
  REQUIRE(p.processes.size() == 1);
  CHECK(p.processes[0].bytes >= 32 * MiB);
  CHECK(p.processes[0].bytes <= r.processes[0].bytes);  // shared pages are divided
  sut.stop(5);
}
