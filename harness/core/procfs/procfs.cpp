#include "core/procfs/procfs.hpp"

#include <charconv>

namespace memgate::procfs {

namespace {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

template <typename Int>
std::optional<Int> to_int(std::string_view s) {
  Int value{};
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc{} || ptr != end || s.empty()) return std::nullopt;
  return value;
}

// Calls fn(key, value) for each "Key:<spaces>value" line.
template <typename Fn>
void for_each_field(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fn(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
}

// "1234 kB" -> 1234 * 1024. The kernel prints these fields in kB (KiB).
std::optional<std::int64_t> kb_to_bytes(std::string_view value) {
  if (value.size() < 3 || value.substr(value.size() - 2) != "kB") return std::nullopt;
  const auto kb = to_int<std::int64_t>(trim(value.substr(0, value.size() - 2)));
  if (!kb || *kb < 0 || *kb > (INT64_MAX / 1024)) return std::nullopt;
  return *kb * 1024;
}

std::string_view next_token(std::string_view& text) {
  text = trim(text);
  const auto end = text.find_first_of(" \t\n");
  const std::string_view token = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
  return token;
}

}  // namespace

std::optional<StatmMemory> parse_statm(std::string_view text, std::int64_t page_bytes) {
  next_token(text);  // size
  const auto resident = to_int<std::int64_t>(next_token(text));
  const auto shared = to_int<std::int64_t>(next_token(text));
  if (!resident || !shared || *shared < 0 || *shared > *resident || page_bytes <= 0 ||
      *resident > INT64_MAX / page_bytes) {
    return std::nullopt;
  }
  return StatmMemory{*resident * page_bytes, (*resident - *shared) * page_bytes};
}

StatusFields parse_status(std::string_view text) {
  StatusFields out;
  for_each_field(text, [&](std::string_view key, std::string_view value) {
    if (key == "Name") {
      out.name = std::string(value);
    } else if (key == "State") {
      if (!value.empty()) out.state = value.front();
    } else if (key == "PPid") {
      out.ppid = to_int<int>(value);
    } else if (key == "Threads") {
      out.threads = to_int<int>(value);
    } else if (key == "VmRSS") {
      out.rss_bytes = kb_to_bytes(value);
    } else if (key == "VmHWM") {
      out.hwm_bytes = kb_to_bytes(value);
    }
  });
  return out;
}

SmapsRollup parse_smaps_rollup(std::string_view text) {
  SmapsRollup out;
  for_each_field(text, [&](std::string_view key, std::string_view value) {
    if (key == "Rss") out.rss_bytes = kb_to_bytes(value);
    if (key == "Pss") out.pss_bytes = kb_to_bytes(value);
    if (key == "Pss_Anon") out.pss_anon_bytes = kb_to_bytes(value);
  });
  return out;
}

std::vector<int> parse_pid_list(std::string_view text) {
  std::vector<int> pids;
  for (auto token = next_token(text); !token.empty(); token = next_token(text)) {
    const auto pid = to_int<int>(token);
    if (pid && *pid > 0) pids.push_back(*pid);
  }
  return pids;
}

std::optional<BlockedSyscall> parse_syscall(std::string_view text) {
  const auto number = to_int<long>(next_token(text));
  if (!number || *number < 0) return std::nullopt;
  const std::string_view argument = next_token(text);
  if (argument.size() < 3 || argument.substr(0, 2) != "0x") return std::nullopt;
  BlockedSyscall out;
  out.number = *number;
  const auto* end = argument.data() + argument.size();
  const auto parsed = std::from_chars(argument.data() + 2, end, out.first_argument, 16);
  if (parsed.ec != std::errc() || parsed.ptr != end) return std::nullopt;
  return out;
}

std::optional<StatFields> parse_stat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Field 3 (state) is index 0 here: ppid 1, pgrp 2, session 3, flags 6, utime 11 .. cstime 14.
  std::int64_t fields[15] = {};
  char state = '?';
  int n = 0;
  while (n < 15) {
    rest = trim(rest);
    if (rest.empty()) return std::nullopt;
    const auto end = rest.find(' ');
    const std::string_view word = rest.substr(0, end);
    if (n == 0) {
      state = word.empty() ? '?' : word[0];
    } else {
      const auto v = to_int<std::int64_t>(word);
      if (!v) return std::nullopt;
      fields[n] = *v;
    }
    ++n;
    if (end == std::string_view::npos) break;
    rest = rest.substr(end);
  }
  if (n < 15) return std::nullopt;
  constexpr std::int64_t kPfKthread = 0x00200000;
  StatFields f;
  f.state = state;
  f.ppid = static_cast<int>(fields[1]);
  f.pgrp = static_cast<int>(fields[2]);
  f.session = static_cast<int>(fields[3]);
  f.kernel_thread = (fields[6] & kPfKthread) != 0;
  f.self_ticks = fields[11] + fields[12];
  f.children_ticks = fields[13] + fields[14];
  return f;
}

std::optional<MachineCpu> parse_proc_stat(std::string_view text) {
  std::optional<MachineCpu> out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.rfind("cpu ", 0) == 0) {
      std::int64_t v[10] = {};
      std::string_view rest = line.substr(4);
      int n = 0;
      for (; n < 10; ++n) {
        rest = trim(rest);
        if (rest.empty()) break;
        const auto end = rest.find(' ');
        const auto value = to_int<std::int64_t>(rest.substr(0, end));
        if (!value) return std::nullopt;
        v[n] = *value;
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
      }
      if (n < 8) return std::nullopt;
      // user nice system idle iowait irq softirq steal [guest guest_nice: inside user, nice]
      out = MachineCpu{v[3] + v[4], v[7], v[5] + v[6], 0};
    } else if (out && line.rfind("cpu", 0) == 0 && line.size() > 3 && line[3] >= '0' &&
               line[3] <= '9') {
      ++out->cpus;
    }
  }
  return out;
}

std::optional<int> loadavg_last_pid(std::string_view text) {
  text = trim(text);
  const auto space = text.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  return to_int<int>(text.substr(space + 1));
}

std::optional<std::int64_t> meminfo_total_bytes(std::string_view text) {
  std::optional<std::int64_t> total;
  for_each_field(text, [&](std::string_view key, std::string_view value) {
    if (key == "MemTotal" && !total) total = kb_to_bytes(value);
  });
  return total;
}

std::string cpuinfo_model(std::string_view text) {
  std::string model;
  for_each_field(text, [&](std::string_view key, std::string_view value) {
    if (model.empty() && trim(key) == "model name") model = std::string(value);
  });
  return model;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  return to_int<std::int64_t>(trim(text));
}

namespace {
// Lines of /proc/self/cgroup read "ID:CONTROLLERS:PATH".
template <typename Match>
std::optional<std::string> cgroup_path(std::string_view text, Match&& match) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const auto id = line.substr(0, first);
    const auto controllers = line.substr(first + 1, second - first - 1);
    if (match(id, controllers)) return std::string(trim(line.substr(second + 1)));
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::string> cgroup_v1_memory_path(std::string_view text) {
  return cgroup_path(text, [](std::string_view, std::string_view controllers) {
    while (!controllers.empty()) {
      const auto comma = controllers.find(',');
      if (controllers.substr(0, comma) == "memory") return true;
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
    return false;
  });
}

std::optional<std::string> cgroup_v2_path(std::string_view text) {
  return cgroup_path(text, [](std::string_view id, std::string_view controllers) {
    return id == "0" && controllers.empty();
  });
}

}  // namespace memgate::procfs
