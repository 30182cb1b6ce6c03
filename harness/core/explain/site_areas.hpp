#pragma once

// `memgate explain --by`: the allocation sites summed by a coarser area than their line, as
// heaptrack's and massif's summaries do and as a report's "high-consumption areas" read (the
// queue module ~10 MB, the agent manager ~5 MB). Pure: a profile in, areas out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/explain/heap_profile.hpp"

namespace memgate {

// line: each site (the default tables); function: the allocating function (heaptrack only:
// tracemalloc records lines); file: the source file (a native site without debug information:
// its module); module: a native site's shared object or program (its file name), a Python
// site's module (AllocationSite::module, "pkg.cache").
enum class SiteGrouping { line, function, file, module };

std::string grouping_name(SiteGrouping by);
std::optional<SiteGrouping> parse_grouping(std::string_view name);

// Whether a profile of this tool has the area (tracemalloc has no functions).
bool has_grouping(const HeapProfile& profile, SiteGrouping by);

struct SiteArea {
  std::string name;
  std::int64_t held_bytes = 0, held_calls = 0;
  std::int64_t leaked_bytes = 0, leaked_calls = 0;
  std::int64_t sites = 0;  // how many sites it sums
};

// The profile's sites summed by area (not line), the most held first (ties: the most leaked,
// then by name); at most limit.
std::vector<SiteArea> site_areas(const HeapProfile& profile, SiteGrouping by, std::size_t limit);

}  // namespace memgate
