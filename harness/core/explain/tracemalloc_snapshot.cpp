#include "core/explain/tracemalloc_snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "core/model/json_reader.hpp"

namespace memgate {

namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

struct Read {
  std::string moment;
  std::int64_t pid = 0;
  std::int64_t traced_bytes = 0;
  std::int64_t traced_peak_bytes = 0;
  std::vector<AllocationSite> sites;  // bytes in held_*; moved to leaked_* for "exit"
};

Read read_snapshot(const TracemallocSnapshot& snapshot) {
  ObjectReader r(snapshot.doc, "", snapshot.file);
  Read out;
  r.get_enum("schema", {"memgate-tracemalloc"});
  r.get_int("version", 1, 1);
  out.pid = r.get_int("pid", 0, kMaxInt);
  out.moment = r.get_enum("moment", {"load-end", "exit"});
  out.traced_bytes = r.get_int("traced_bytes", 0, kMaxInt);
  out.traced_peak_bytes = r.get_int("traced_peak_bytes", 0, kMaxInt);
  r.opt_int("frames", 0, 1000000);
  for (auto& item : r.get_object_array("stats")) {
    AllocationSite site;
    site.file = item.get_string("file");
    site.line = static_cast<int>(item.get_int("line", 0, std::numeric_limits<int>::max()));
    site.held_bytes = item.get_int("size_bytes", 0, kMaxInt);
    site.held_calls = item.get_int("count", 0, kMaxInt);
    site.code = item.opt_string("code").value_or("");
    item.reject_unknown_keys();
    out.sites.push_back(std::move(site));
  }
  r.reject_unknown_keys();
  return out;
}

}  // namespace

HeapProfile profile_from_snapshots(const std::vector<TracemallocSnapshot>& snapshots) {
  HeapProfile profile;
  profile.tool = "tracemalloc";
  profile.held_at = "end of load";
  std::vector<Read> reads;
  for (const auto& s : snapshots) reads.push_back(read_snapshot(s));
  const bool has_load_end =
      std::any_of(reads.begin(), reads.end(), [](const Read& r) { return r.moment == "load-end"; });
  const bool has_exit =
      std::any_of(reads.begin(), reads.end(), [](const Read& r) { return r.moment == "exit"; });
  if (!has_load_end) profile.held_at = "exit";
  std::set<std::int64_t> pids;
  for (const Read& r : reads) {
    pids.insert(r.pid);
    profile.peak_bytes = std::max(profile.peak_bytes, r.traced_peak_bytes);
    const bool as_held = r.moment == "load-end" || !has_load_end;
    const bool as_leaked = r.moment == "exit";
    if (as_leaked) profile.leaked_bytes += r.traced_bytes;
    for (const AllocationSite& site : r.sites) {
      AllocationSite s = site;
      if (!as_held) s.held_bytes = s.held_calls = 0;
      if (as_leaked) {
        s.leaked_bytes = site.held_bytes;
        s.leaked_calls = site.held_calls;
      }
      merge_site(profile.sites, s);
    }
  }
  profile.processes = static_cast<int>(pids.size());
  if (reads.empty()) {
    profile.notes.push_back(
        "the Python SUT wrote no tracemalloc snapshot: it did not start Python's site module "
        "(python -S, -I or -E ignores the sitecustomize and PYTHON* variables memgate sets), or it "
        "was killed before it could write one (SIGKILL)");
  } else if (!has_load_end) {
    profile.notes.push_back(
        "no snapshot at the end of the load (a command SUT, whose whole life is the load, or a "
        "run that stopped early): one table, what was still allocated at exit");
  } else if (!has_exit) {
    profile.notes.push_back(
        "no snapshot at exit (the SUT was killed, or exited through os._exit): no leak table");
  }
  return profile;
}

}  // namespace memgate
