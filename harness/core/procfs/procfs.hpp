#pragma once

// Pure parsers of /proc and cgroup text. They never touch the file system: the runtime reads the
// files, these turn the text into numbers. All sizes are converted to bytes here, once.
// Malformed input never throws: a field that cannot be read stays empty (std::nullopt).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memgate::procfs {

// /proc/PID/statm: "size resident shared text lib data dt", in pages; sizes are pages times
// page_bytes (a zombie reads "0 0 0 ..." and yields 0). `shared` counts the resident pages backed
// by a file or shared memory (RssFile + RssShmem); the rest is anonymous (RssAnon: heap, stacks,
// private copies). Empty when a field is missing or shared exceeds resident.
struct StatmMemory {
  std::int64_t rss_bytes = 0;
  std::int64_t anon_bytes = 0;  // rss_bytes - file-backed and shared
};
std::optional<StatmMemory> parse_statm(std::string_view text, std::int64_t page_bytes);

// The fields of /proc/PID/status that memgate uses. Vm* lines are absent for zombies and kernel
// threads; they then stay empty.
struct StatusFields {
  std::string name;
  char state = '?';
  std::optional<int> ppid;
  std::optional<int> threads;
  std::optional<std::int64_t> rss_bytes;  // VmRSS
  std::optional<std::int64_t> hwm_bytes;  // VmHWM: the kernel's peak RSS (since start or reset)
};
StatusFields parse_status(std::string_view text);

// /proc/PID/smaps_rollup totals.
struct SmapsRollup {
  std::optional<std::int64_t> rss_bytes;
  std::optional<std::int64_t> pss_bytes;
  std::optional<std::int64_t> pss_anon_bytes;  // Pss_Anon (Linux 5.7 and later)
};
SmapsRollup parse_smaps_rollup(std::string_view text);

// Whitespace-separated process ids, as in /proc/PID/task/TID/children. Tokens that are not
// positive integers are skipped.
std::vector<int> parse_pid_list(std::string_view text);

// /proc/PID/task/TID/syscall of a blocked thread: "NR ARG1 ARG2 ... SP PC" (hex arguments);
// "running" or "-1 SP PC" when it is in no system call. The syscall number and first argument.
struct BlockedSyscall {
  long number = -1;
  unsigned long long first_argument = 0;
};
std::optional<BlockedSyscall> parse_syscall(std::string_view text);

// The last field of /proc/loadavg: the most recently created pid (process or thread) of the
// reader's pid namespace. It changes whenever any process or thread is created.
std::optional<int> loadavg_last_pid(std::string_view text);

// The fields of /proc/PID/stat that memgate uses ("pid (comm) state ppid pgrp session ...": the
// command name may hold spaces and parentheses; fields are counted after its last ')'). CPU times
// in clock ticks: its own (utime + stime) and its waited children's (cutime + cstime).
struct StatFields {
  char state = '?';  // 'Z': a zombie, 'X': dead
  int ppid = 0;
  int pgrp = 0;
  int session = 0;
  bool kernel_thread = false;  // flags has PF_KTHREAD
  std::int64_t self_ticks = 0;
  std::int64_t children_ticks = 0;
};
std::optional<StatFields> parse_stat(std::string_view text);

// The machine's CPU time from the first line of /proc/stat, in clock ticks summed over every
// CPU, and the number of CPUs (cpuN lines). Only the idle time is exact on a tickless kernel (it
// is measured, not sampled): user and system time are sampled at timer ticks, which short bursts
// of work between two ticks escape (seen: 5 ticks counted for 84 spent). Busy time is therefore
// the capacity less the idle time, not the sum of the sampled fields.
struct MachineCpu {
  std::int64_t idle_ticks = 0;       // idle + iowait
  std::int64_t steal_ticks = 0;      // taken by the hypervisor for other guests
  std::int64_t interrupt_ticks = 0;  // irq + softirq: they serve whoever caused them
  int cpus = 0;
};
std::optional<MachineCpu> parse_proc_stat(std::string_view text);

// MemTotal of /proc/meminfo.
std::optional<std::int64_t> meminfo_total_bytes(std::string_view text);

// "model name" of the first processor in /proc/cpuinfo; empty when absent (e.g. on ARM).
std::string cpuinfo_model(std::string_view text);

// A file holding one integer and optional white space (cgroup counters such as memory.peak).
std::optional<std::int64_t> parse_int64(std::string_view text);

// From /proc/self/cgroup: the path of the cgroup v1 memory hierarchy ("4:memory:/a/b" -> "/a/b")
// or of the unified v2 hierarchy ("0::/a/b" -> "/a/b").
std::optional<std::string> cgroup_v1_memory_path(std::string_view text);
std::optional<std::string> cgroup_v2_path(std::string_view text);

}  // namespace memgate::procfs
