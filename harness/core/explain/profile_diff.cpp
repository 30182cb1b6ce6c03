#include "core/explain/profile_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/model/errors.hpp"

namespace memgate {

std::int64_t SiteGrowth::growth_bytes() const {
  return std::max(held_after_bytes - held_before_bytes, leaked_after_bytes - leaked_before_bytes);
}

std::int64_t growth_floor_bytes(const HeapProfile& before, const HeapProfile& after) {
  constexpr std::int64_t kMinFloorBytes = 64 * 1024;
  return std::max(kMinFloorBytes, std::max(before.peak_bytes, after.peak_bytes) / 100);
}

std::vector<SiteGrowth> diff_profiles(const HeapProfile& before, const HeapProfile& after,
                                      const std::string& before_file, std::size_t limit,
                                      std::int64_t floor_bytes) {
  if (before.tool != after.tool) {
    throw InputError(before_file, "/tool",
                     fmt::format("a {} profile cannot be compared with this run's {} profile: "
                                 "their sites do not match",
                                 before.tool, after.tool),
                     "make the profile with the same kind of SUT (`memgate baseline --profile`)");
  }
  std::map<std::string, const AllocationSite*> old_sites;
  for (const auto& site : before.sites) old_sites[site.key()] = &site;
  std::vector<SiteGrowth> growths;
  for (const auto& site : after.sites) {
    SiteGrowth g;
    g.site = site;
    g.held_after_bytes = site.held_bytes;
    g.leaked_after_bytes = site.leaked_bytes;
    if (const auto it = old_sites.find(site.key()); it != old_sites.end()) {
      g.held_before_bytes = it->second->held_bytes;
      g.leaked_before_bytes = it->second->leaked_bytes;
      old_sites.erase(it);
    } else {
      g.is_new = true;
    }
    if (g.growth_bytes() > floor_bytes) growths.push_back(std::move(g));
  }
  std::sort(growths.begin(), growths.end(), [](const SiteGrowth& a, const SiteGrowth& b) {
    return a.growth_bytes() != b.growth_bytes() ? a.growth_bytes() > b.growth_bytes()
                                                : a.site.key() < b.site.key();
  });
  if (growths.size() > limit) growths.resize(limit);
  return growths;
}

}  // namespace memgate
