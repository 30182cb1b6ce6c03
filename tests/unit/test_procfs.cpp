// /proc parsers on files captured from a live machine (tests/data/proc) and on hostile text.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/procfs/procfs.hpp"

using namespace memgate;

namespace {
std::string captured(const std::string& name) {
  std::ifstream in(std::string(MEMGATE_TEST_DATA) + "/proc/" + name);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}
}  // namespace

TEST_CASE("statm: resident pages times the page size") {
  const auto rss = [](std::string_view text) -> std::optional<std::int64_t> {
    const auto m = procfs::parse_statm(text, 4096);
    if (!m) return std::nullopt;
    return m->rss_bytes;
  };
  CHECK(rss(captured("statm_python_50mib.txt")) == 16180LL * 4096);
  CHECK(rss(captured("statm_zombie.txt")) == 0);
  CHECK_FALSE(rss(""));
  CHECK_FALSE(rss("12"));
  CHECK_FALSE(rss("12 x 3"));
  CHECK_FALSE(rss("1 -5 3"));
  CHECK_FALSE(rss("1 99999999999999999999 3"));
}

TEST_CASE("statm: anonymous memory is resident less file-backed and shared, as status says") {
  const auto m = procfs::parse_statm(captured("statm_python_50mib.txt"), 4096);
  REQUIRE(m);
  CHECK(m->rss_bytes == 16180LL * 4096);
  CHECK(m->anon_bytes == (16180LL - 1663) * 4096);
  // The same process's status: RssAnon 58068 kB.
  CHECK(m->anon_bytes ==
        *procfs::parse_status(captured("status_python_50mib.txt")).rss_bytes - 6652LL * 1024);
  CHECK(m->anon_bytes == 58068LL * 1024);
  CHECK(procfs::parse_statm(captured("statm_zombie.txt"), 4096)->anon_bytes == 0);
  CHECK_FALSE(procfs::parse_statm("12 5", 4096));      // no shared field
  CHECK_FALSE(procfs::parse_statm("12 5 6 1", 4096));  // more shared than resident
  CHECK_FALSE(procfs::parse_statm("12 5 -1 1", 4096));
}

TEST_CASE("status: RSS and high-water mark in bytes, ppid, threads, state") {
  const auto s = procfs::parse_status(captured("status_python_50mib.txt"));
  CHECK(s.name == "python3");
  CHECK(s.state == 'S');
  CHECK(s.ppid == 3971);
  CHECK(s.threads == 1);
  CHECK(s.rss_bytes == 64720LL * 1024);
  CHECK(s.hwm_bytes == 64720LL * 1024);
  // The statm and status captures were taken from the same process at the same moment.
  CHECK(*s.rss_bytes == procfs::parse_statm(captured("statm_python_50mib.txt"), 4096)->rss_bytes);
}

TEST_CASE("status of a zombie has no memory lines") {
  const auto s = procfs::parse_status(captured("status_zombie.txt"));
  CHECK(s.state == 'Z');
  CHECK_FALSE(s.rss_bytes);
  CHECK_FALSE(s.hwm_bytes);
}

TEST_CASE("status: malformed values stay empty") {
  const auto s = procfs::parse_status("VmRSS:\tlots kB\nVmHWM: 12 MB\nPPid: -\nState:\n");
  CHECK_FALSE(s.rss_bytes);
  CHECK_FALSE(s.hwm_bytes);
  CHECK_FALSE(s.ppid);
  CHECK(s.state == '?');
  CHECK_FALSE(procfs::parse_status("VmRSS: 99999999999999999999 kB\n").rss_bytes);
}

TEST_CASE("smaps_rollup: Rss and Pss totals") {
  const auto r = procfs::parse_smaps_rollup(captured("smaps_rollup_python_50mib.txt"));
  CHECK(r.rss_bytes == 64720LL * 1024);
  CHECK(r.pss_bytes == 63551LL * 1024);  // not Pss_Anon or Pss_Dirty
  CHECK(r.pss_anon_bytes == 58068LL * 1024);
  CHECK_FALSE(procfs::parse_smaps_rollup("Rss: 4 kB\nPss: 4 kB\n").pss_anon_bytes);  // Linux < 5.7
}

TEST_CASE("children lists") {
  CHECK(procfs::parse_pid_list(captured("children_three.txt")) == std::vector<int>{2381, 2382, 2390});
  CHECK(procfs::parse_pid_list(captured("children_empty.txt")).empty());
  CHECK(procfs::parse_pid_list("  7 x 0 -3 8\n") == std::vector<int>{7, 8});
}

TEST_CASE("meminfo, cpuinfo, single numbers") {
  CHECK(procfs::meminfo_total_bytes(captured("meminfo.txt")) > 1024LL * 1024 * 1024);
  CHECK(procfs::meminfo_total_bytes("MemTotal:       24684084 kB\n") == 24684084LL * 1024);
  CHECK(procfs::cpuinfo_model(captured("cpuinfo_amd_epyc.txt")) == "AMD EPYC");
  CHECK(procfs::cpuinfo_model("processor: 0\n").empty());
  CHECK(procfs::parse_int64(" 1608454144\n") == 1608454144);
  CHECK_FALSE(procfs::parse_int64("max\n"));
}

TEST_CASE("cgroup paths of v1 and v2") {
  CHECK(procfs::cgroup_v1_memory_path(captured("cgroup_v1_container.txt")) ==
        "/process_api/459d52b7413f98f34745d6e20b64768f");
  CHECK(procfs::cgroup_v2_path(captured("cgroup_v1_container.txt")) == "/");
  CHECK(procfs::cgroup_v2_path(captured("cgroup_v2.txt")) ==
        "/user.slice/user-1000.slice/session-2.scope");
  CHECK_FALSE(procfs::cgroup_v1_memory_path(captured("cgroup_v2.txt")));
  CHECK(procfs::cgroup_v1_memory_path("3:cpu,memory:/x\n") == "/x");
  CHECK_FALSE(procfs::cgroup_v1_memory_path("garbage"));
}
