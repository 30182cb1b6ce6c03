#pragma once

// `memgate explain --against PROFILE`: which allocation sites grew between a profile kept
// before (a baseline's, `memgate baseline --profile`) and this run's. Sites are matched by
// AllocationSite::key(): function, file:line and callers for heaptrack, file:line for
// tracemalloc.

#include <cstdint>
#include <string>
#include <vector>

#include "core/explain/heap_profile.hpp"

namespace memgate {

struct SiteGrowth {
  AllocationSite site;  // as in the newer profile (the older one's, for a site that is gone)
  std::int64_t held_before_bytes = 0, held_after_bytes = 0;
  std::int64_t leaked_before_bytes = 0, leaked_after_bytes = 0;
  bool is_new = false;  // not in the older profile at all
  // The larger of the two increases (held, leaked): what the ranking uses.
  std::int64_t growth_bytes() const;
};

// What two runs of one build differ by, per site, without any change: heaptrack's rounding to 3
// significant digits, an interpreter's caches and imports. The larger of 64 KiB and 1% of the
// larger peak of the two profiles.
std::int64_t growth_floor_bytes(const HeapProfile& before, const HeapProfile& after);

// The sites whose held or leaked bytes grew by more than floor_bytes, largest growth first (ties
// by key), at most limit. Throws InputError naming before_file at /tool when the two profiles
// come from different tools (their sites cannot be matched).
std::vector<SiteGrowth> diff_profiles(const HeapProfile& before, const HeapProfile& after,
                                      const std::string& before_file, std::size_t limit,
                                      std::int64_t floor_bytes);

}  // namespace memgate
