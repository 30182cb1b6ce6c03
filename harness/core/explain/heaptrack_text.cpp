#include "core/explain/heaptrack_text.hpp"

#include <charconv>
#include <cmath>
#include <regex>
#include <sstream>
#include <vector>

namespace memgate {

namespace {

struct Frame {
  std::string function, file, module;
  int line = 0;
};

enum class Section { other, peaks, leaks };

// The first frame of the SUT's own code: a source file outside the system's folders.
bool own_code(const Frame& f) {
  return !f.file.empty() && f.file.rfind("/usr/", 0) != 0 && f.file.rfind("./", 0) != 0;
}

std::size_t indent_of(const std::string& line) {
  const std::size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

// "at FILE:LINE" (after the indent): the line is the digits after the last ':'.
void read_at(std::string_view at, Frame& frame) {
  const std::size_t colon = at.rfind(':');
  int line = 0;
  if (colon != std::string_view::npos &&
      std::from_chars(at.data() + colon + 1, at.data() + at.size(), line).ec == std::errc{} &&
      colon + 1 < at.size()) {
    frame.file = std::string(at.substr(0, colon));
    frame.line = line;
  } else {
    frame.file = std::string(at);
  }
}

// One entry under a section header: the site's frames, then its callers' frames.
struct Entry {
  std::int64_t bytes = 0;
  std::int64_t calls = 0;
  std::vector<Frame> frames;  // the site's (inlined frames after the first), then the callers'
};

AllocationSite to_site(const Entry& e) {
  AllocationSite site;
  if (!e.frames.empty()) {
    const Frame& first = e.frames.front();
    site.function = first.function;
    site.file = first.file;
    site.line = first.line;
    site.module = first.module;
    if (!own_code(first)) {
      for (const Frame& f : e.frames) {
        if (!own_code(f)) continue;
        site.caller = f.line > 0 ? f.function + " (" + f.file + ":" + std::to_string(f.line) + ")"
                                 : f.function;
        break;
      }
    }
  }
  return site;
}

}  // namespace

std::optional<std::int64_t> parse_heaptrack_bytes(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const char unit = text.back();
  static constexpr std::string_view kUnits = "BKMGTP";
  const std::size_t power = kUnits.find(unit);
  if (power == std::string_view::npos) return std::nullopt;
  const std::string number(text.substr(0, text.size() - 1));
  if (number.empty() || number.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  double value = 0;
  try {
    value = std::stod(number);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(
      std::llround(value * std::pow(1000.0, static_cast<double>(power))));
}

HeapProfile parse_heaptrack_print(const std::string& text) {
  static const std::regex kPeakHead(R"(^(\S+) peak memory consumed over (\d+) calls from$)");
  static const std::regex kLeakHead(R"(^(\S+) leaked over (\d+) calls from$)");
  static const std::regex kCallers(R"(^(\S+) (consumed|leaked) over (\d+) calls from:$)");
  static const std::regex kTotal(R"(^([a-zA-Z ()]+): (\S+))");
  HeapProfile profile;
  profile.tool = "heaptrack";
  profile.held_at = "heap peak";
  Section section = Section::other;
  bool saw_peaks = false, saw_leaks = false;
  std::optional<Entry> entry;
  Section entry_section = Section::other;
  auto flush = [&] {
    if (!entry) return;
    AllocationSite site = to_site(*entry);
    if (entry_section == Section::peaks) {
      site.held_bytes = entry->bytes;
      site.held_calls = entry->calls;
    } else {
      site.leaked_bytes = entry->bytes;
      site.leaked_calls = entry->calls;
    }
    merge_site(profile.sites, site);
    entry.reset();
  };
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "PEAK MEMORY CONSUMERS" || line == "MEMORY LEAKS" ||
        line == "MOST CALLS TO ALLOCATION FUNCTIONS" || line == "MOST TEMPORARY ALLOCATIONS") {
      flush();
      section = line == "PEAK MEMORY CONSUMERS" ? Section::peaks
                : line == "MEMORY LEAKS"        ? Section::leaks
                                                : Section::other;
      saw_peaks |= section == Section::peaks;
      saw_leaks |= section == Section::leaks;
      continue;
    }
    if (line.empty()) {
      flush();
      continue;
    }
    const std::regex* head = section == Section::peaks   ? &kPeakHead
                             : section == Section::leaks ? &kLeakHead
                                                         : nullptr;
    if (head && std::regex_match(line, m, *head)) {
      flush();
      const auto bytes = parse_heaptrack_bytes(m[1].str());
      if (!bytes) continue;
      entry = Entry{*bytes, std::stoll(m[2].str()), {}};
      entry_section = section;
      continue;
    }
    if (entry) {
      if (std::regex_match(line, m, kCallers)) continue;  // callers' frames follow, indented
      const std::size_t indent = indent_of(line);
      const std::string body = line.substr(indent);
      if (body.rfind("at ", 0) == 0 && !entry->frames.empty()) {
        read_at(std::string_view(body).substr(3), entry->frames.back());
      } else if (body.rfind("in ", 0) == 0 && !entry->frames.empty()) {
        entry->frames.back().module = body.substr(3);
      } else if (body.rfind("and ", 0) == 0) {
        // "and 1.23M from 7 other places": callers not listed.
      } else {
        entry->frames.push_back(Frame{body, "", "", 0});
      }
      continue;
    }
    if (section == Section::other || !entry) {
      if (!std::regex_search(line, m, kTotal)) continue;
      const std::string name = m[1].str();
      if (name == "peak heap memory consumption") {
        profile.peak_bytes = parse_heaptrack_bytes(m[2].str()).value_or(0);
      } else if (name == "total memory leaked") {
        profile.leaked_bytes = parse_heaptrack_bytes(m[2].str()).value_or(0);
      } else if (name == "calls to allocation functions") {
        std::int64_t calls = 0;
        const std::string value = m[2].str();
        std::from_chars(value.data(), value.data() + value.size(), calls);
        profile.calls = calls;
      } else if (name == "Debuggee command was") {
        // Kept by the caller (it knows the argv exactly).
      }
    }
  }
  flush();
  if (!saw_peaks && !saw_leaks) {
    profile.notes.push_back(
        "heaptrack_print printed no peak or leak section: the heaptrack data held no allocation");
  }
  return profile;
}

}  // namespace memgate
