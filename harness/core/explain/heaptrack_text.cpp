#include "core/explain/heaptrack_text.hpp"

#include <algorithm>
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

// A frame of the SUT's own code: a source file outside the system's folders (Debian's libraries
// carry their build's relative paths: "./elf/dl-init.c", "../sysdeps/nptl/...").
bool own_code(const Frame& f) {
  return !f.file.empty() && f.file.rfind("/usr/", 0) != 0 && f.file.rfind("./", 0) != 0 &&
         f.file.rfind("../", 0) != 0;
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

// One backtrace block of an entry ("4.10M consumed over 1000 calls from:"): the callers'
// frames of that share of the site's bytes. The last block may be heaptrack's remainder
// ("and 3.00M from 2 other places"), whose callers it does not list.
struct Block {
  std::int64_t bytes = 0;
  std::int64_t calls = 0;
  std::vector<Frame> frames;
  bool rest = false;  // heaptrack's remainder: the blocks it did not list
};

// One entry under a section header: the site's frames, then its backtrace blocks.
struct Entry {
  std::int64_t bytes = 0;
  std::int64_t calls = 0;
  std::vector<Frame> frames;  // the site (the allocating frame, then the frames inlined into it)
  std::vector<Block> blocks;
};

// The frames of the SUT's own code above the allocating one, nearest first, at most depth.
std::vector<CallerFrame> own_callers(const std::vector<Frame>& above, int depth) {
  std::vector<CallerFrame> callers;
  for (const Frame& f : above) {
    if (static_cast<int>(callers.size()) >= depth) break;
    if (own_code(f)) callers.push_back({f.function, f.file, f.line});
  }
  return callers;
}

// The site of an entry, with the callers of one block (or of none).
AllocationSite to_site(const Entry& e, const Block* block, int depth) {
  AllocationSite site;
  if (e.frames.empty()) return site;
  const Frame& first = e.frames.front();
  site.function = first.function;
  site.file = first.file;
  site.line = first.line;
  site.module = first.module;
  if (block && block->rest) {
    site.callers.push_back({"(other callers)", "", 0});
    return site;
  }
  std::vector<Frame> above(e.frames.begin() + 1, e.frames.end());
  if (block) above.insert(above.end(), block->frames.begin(), block->frames.end());
  site.callers = own_callers(above, depth);
  return site;
}

// The sites of an entry: one per backtrace block, each with its share of the bytes and calls,
// so that callers that differ give rows of their own; the entry's own figures without blocks.
std::vector<AllocationSite> to_sites(const Entry& e, int depth) {
  std::vector<AllocationSite> sites;
  if (e.blocks.empty()) {
    AllocationSite site = to_site(e, nullptr, depth);
    site.held_bytes = e.bytes;
    site.held_calls = e.calls;
    sites.push_back(std::move(site));
    return sites;
  }
  for (const Block& b : e.blocks) {
    AllocationSite site = to_site(e, &b, depth);
    site.held_bytes = b.bytes;
    site.held_calls = b.calls;
    sites.push_back(std::move(site));
  }
  return sites;
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

HeapProfile parse_heaptrack_print(const std::string& text, int depth) {
  static const std::regex kPeakHead(R"(^(\S+) peak memory consumed over (\d+) calls from$)");
  static const std::regex kLeakHead(R"(^(\S+) leaked over (\d+) calls from$)");
  static const std::regex kCallers(R"(^(\S+) (consumed|leaked) over (\d+) calls from:$)");
  static const std::regex kOtherPlaces(R"(^and (\S+) from (\d+) other places$)");
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
    for (AllocationSite& site : to_sites(*entry, depth)) {
      if (entry_section == Section::leaks) {
        std::swap(site.held_bytes, site.leaked_bytes);
        std::swap(site.held_calls, site.leaked_calls);
      }
      merge_site(profile.sites, site);
    }
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
      entry = Entry{*bytes, std::stoll(m[2].str()), {}, {}};
      entry_section = section;
      continue;
    }
    if (entry) {
      if (std::regex_match(line, m, kCallers)) {  // a backtrace block: its frames follow
        const auto bytes = parse_heaptrack_bytes(m[1].str());
        entry->blocks.push_back(Block{bytes.value_or(0), std::stoll(m[3].str()), {}, false});
        continue;
      }
      const std::size_t indent = indent_of(line);
      const std::string body = line.substr(indent);
      std::vector<Frame>& frames =
          entry->blocks.empty() ? entry->frames : entry->blocks.back().frames;
      if (std::regex_match(body, m, kOtherPlaces)) {
        // The remainder: the entry's calls that the listed blocks do not hold.
        std::int64_t listed = 0;
        for (const Block& b : entry->blocks) listed += b.calls;
        entry->blocks.push_back(Block{parse_heaptrack_bytes(m[1].str()).value_or(0),
                                      std::max<std::int64_t>(0, entry->calls - listed),
                                      {},
                                      true});
      } else if (body.rfind("at ", 0) == 0 && !frames.empty()) {
        read_at(std::string_view(body).substr(3), frames.back());
      } else if (body.rfind("in ", 0) == 0 && !frames.empty()) {
        frames.back().module = body.substr(3);
      } else {
        frames.push_back(Frame{body, "", "", 0});
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
