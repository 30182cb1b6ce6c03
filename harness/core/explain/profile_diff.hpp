#pragma once

// `memgate explain --against PROFILE`: which allocation sites grew between a profile kept
// before (a baseline's, `memgate baseline --profile`) and this run's. Sites are matched by
// AllocationSite::key(): function and file:line for heaptrack, file:line for tracemalloc.

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

// The sites whose held or leaked bytes grew, largest growth first (ties by key), at most limit.
// Throws InputError naming before_file at /tool when the two profiles come from different tools
// (their sites cannot be matched).
std::vector<SiteGrowth> diff_profiles(const HeapProfile& before, const HeapProfile& after,
                                      const std::string& before_file, std::size_t limit);

}  // namespace memgate
