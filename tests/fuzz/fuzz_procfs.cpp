// Fuzzes the pure /proc and cgroup parsers (core/procfs) and the Redis INFO parser
// (core/sut/redis_info) with arbitrary text: every parser runs on every input.
//
// Property: the parsers are documented not to throw on malformed input (a field that cannot be
// read stays empty), so no exception may escape (it aborts) and ASan/UBSan report memory errors,
// overflow and other undefined behaviour. Also, what they return obeys their contracts: sizes in
// bytes are non-negative (and whole KiB where the kernel prints kB), process ids positive.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/procfs/procfs.hpp"
#include "core/sut/redis_info.hpp"
#include "fuzz_support.hpp"

namespace {

using memgate::fuzz::fail;
namespace procfs = memgate::procfs;

void check_kb(const std::optional<std::int64_t>& bytes, const char* field) {
  if (bytes && (*bytes < 0 || *bytes % 1024 != 0)) {
    fail(field, "not a non-negative whole number of KiB: " + std::to_string(*bytes));
  }
}

void fuzz_procfs(std::string_view text, std::int64_t page_bytes) {
  for (const std::int64_t page : {std::int64_t{4096}, page_bytes}) {
    if (const auto m = procfs::parse_statm(text, page)) {
      if (m->rss_bytes < 0) fail("statm rss is negative", std::to_string(m->rss_bytes));
      if (m->anon_bytes < 0 || m->anon_bytes > m->rss_bytes) {
        fail("statm anon is outside 0..rss", std::to_string(m->anon_bytes));
      }
    }
  }
  const procfs::StatusFields status = procfs::parse_status(text);
  check_kb(status.rss_bytes, "status VmRSS");
  check_kb(status.hwm_bytes, "status VmHWM");
  const procfs::SmapsRollup smaps = procfs::parse_smaps_rollup(text);
  check_kb(smaps.rss_bytes, "smaps_rollup Rss");
  check_kb(smaps.pss_bytes, "smaps_rollup Pss");
  check_kb(procfs::meminfo_total_bytes(text), "meminfo MemTotal");
  for (const int pid : procfs::parse_pid_list(text)) {
    if (pid <= 0) fail("parse_pid_list returned a pid that is not positive", std::to_string(pid));
  }
  procfs::loadavg_last_pid(text);
  procfs::cpuinfo_model(text);
  procfs::parse_int64(text);
  procfs::cgroup_v1_memory_path(text);
  procfs::cgroup_v2_path(text);
}

void fuzz_redis_info(std::string_view text) {
  const memgate::RedisInfo info = memgate::parse_redis_info(text);
  for (const auto& [key, value] : info) {
    if (key.empty() || key.find(':') != std::string::npos) fail("a Redis INFO key is malformed");
    memgate::info_number(info, key);
    if (key.rfind("cmdstat_", 0) == 0) memgate::info_command_calls(info, key.substr(8));
  }
  for (const char* key : {"used_memory", "used_memory_rss", "mem_fragmentation_ratio"}) {
    memgate::info_number(info, key);
  }
  for (const char* command : {"lpush", "brpop", "rpop", "ping"}) {
    memgate::info_command_calls(info, command);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The first 8 bytes (when there are) also give a page size: zero, negative and huge ones
  // exercise parse_statm's overflow checks.
  std::int64_t page_bytes = 4096;
  if (size >= sizeof page_bytes) std::memcpy(&page_bytes, data, sizeof page_bytes);
  fuzz_procfs(text, page_bytes);
  fuzz_redis_info(text);
  return 0;
}
