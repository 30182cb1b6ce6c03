#include "core/explain/site_areas.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

namespace memgate {

namespace {

// The area a site belongs to.
std::string area_of(const AllocationSite& s, SiteGrouping by) {
  const std::string module_file = std::filesystem::path(s.module).filename().string();
  switch (by) {
    case SiteGrouping::function:
      if (s.file.empty() && s.function.rfind("0x", 0) == 0) return "? in " + module_file;
      return s.function;
    case SiteGrouping::file:
      return s.file.empty() ? s.module : s.file;
    case SiteGrouping::module:
      return s.module.find('/') == std::string::npos ? s.module : module_file;
    case SiteGrouping::line:
      break;
  }
  return s.key();
}

}  // namespace

std::string grouping_name(SiteGrouping by) {
  switch (by) {
    case SiteGrouping::line:
      return "line";
    case SiteGrouping::function:
      return "function";
    case SiteGrouping::file:
      return "file";
    case SiteGrouping::module:
      return "module";
  }
  return "line";
}

std::optional<SiteGrouping> parse_grouping(std::string_view name) {
  for (const SiteGrouping by :
       {SiteGrouping::line, SiteGrouping::function, SiteGrouping::file, SiteGrouping::module}) {
    if (grouping_name(by) == name) return by;
  }
  return std::nullopt;
}

bool has_grouping(const HeapProfile& profile, SiteGrouping by) {
  return profile.tool != "none" && (by != SiteGrouping::function || profile.tool == "heaptrack");
}

std::vector<SiteArea> site_areas(const HeapProfile& profile, SiteGrouping by, std::size_t limit) {
  std::map<std::string, SiteArea> by_name;
  for (const AllocationSite& s : profile.sites) {
    const std::string name = area_of(s, by);
    SiteArea& area = by_name[name];
    area.name = name;
    area.held_bytes += s.held_bytes;
    area.held_calls += s.held_calls;
    area.leaked_bytes += s.leaked_bytes;
    area.leaked_calls += s.leaked_calls;
    ++area.sites;
  }
  std::vector<SiteArea> areas;
  for (auto& [name, area] : by_name) areas.push_back(std::move(area));
  std::sort(areas.begin(), areas.end(), [](const SiteArea& a, const SiteArea& b) {
    if (a.held_bytes != b.held_bytes) return a.held_bytes > b.held_bytes;
    if (a.leaked_bytes != b.leaked_bytes) return a.leaked_bytes > b.leaked_bytes;
    return a.name < b.name;
  });
  if (areas.size() > limit) areas.resize(limit);
  return areas;
}

}  // namespace memgate
