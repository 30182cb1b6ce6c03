#pragma once

// The neutral model of `memgate explain`: allocation sites and what they held, whichever tool
// watched the SUT (heaptrack for a native program, Python's tracemalloc for a Python one). The
// profile file (explain.json, and baselines/<scenario>.profile.json) is this model as JSON:
// `--against` reads it back.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace memgate {

// Schema of explain.json / *.profile.json; a reader refuses any other. 2: sites carry their
// callers (a list of frames, not one text) and are keyed by them; paths relative to the project.
constexpr int kProfileSchemaVersion = 2;

// Caller frames kept per heaptrack site by default (explain --depth).
constexpr int kDefaultCallerDepth = 2;

// A frame of the SUT's own code above an allocation site.
struct CallerFrame {
  std::string function;
  std::string file;          // "" without debug information
  int line = 0;              // 0 when unknown
  std::string text() const;  // "main (app.cpp:15)", or "main" without a location
  bool operator==(const CallerFrame&) const = default;
};

// One place in the SUT's code that allocates. Bytes are exact for tracemalloc and as
// heaptrack_print prints them (3 significant digits, 1000-based units) for heaptrack.
struct AllocationSite {
  std::string function;  // heaptrack: the function that allocated; tracemalloc: ""
  std::string file;      // its source file; "" when the binary has no debug information
  int line = 0;          // 0 when unknown
  std::string module;    // heaptrack: the binary or library holding the code; tracemalloc:
                         // the Python module ("pkg.cache"), "" when unknown
  std::string code;      // tracemalloc: the text of the source line
  // heaptrack: the frames of the SUT's own code that called the site, nearest first, at most the
  // depth asked for (for a site in a system header or library, such as std::vector's allocate,
  // they start at the first frame of the SUT's own code above it). heaptrack's backtraces that
  // differ in them are separate sites: a helper that a leak and a spike both call is two rows.
  std::vector<CallerFrame> callers;
  std::int64_t held_bytes = 0;    // heaptrack: at the heap's peak; tracemalloc: at the load's end
  std::int64_t held_calls = 0;    // allocations (heaptrack) or live blocks (tracemalloc) of them
  std::int64_t leaked_bytes = 0;  // still allocated when the SUT exited
  std::int64_t leaked_calls = 0;

  // How sites are matched between two profiles and merged within one: "function|file:line"
  // and "<-caller" per caller function (heaptrack), "file:line" (tracemalloc); without a source
  // file, its module's file name stands for it. A frame without symbols ("0x7f..."), whose
  // address moves with every run, is "?|" and its module's file name.
  std::string key() const;
  // "cache_put_leaky (app.cpp:53) <- main (app.cpp:104)"; "" without callers.
  std::string caller_chain() const;
  // "file:line", "file" or the module when there is no source location.
  std::string location() const;
  // "function" or, without one, the source line's code or the location.
  std::string label() const;
};

struct HeapProfile {
  int schema_version = kProfileSchemaVersion;
  std::string tool;  // "heaptrack", "tracemalloc" or "none" (nothing could be profiled: notes)
  std::string scenario;
  std::string memgate_version;
  std::string created_at;             // ISO 8601, UTC
  std::vector<std::string> command;   // the SUT's argv as it ran
  std::string held_at;                // what held_bytes means: "heap peak" or "end of load"
  std::vector<AllocationSite> sites;  // merged by key(); any order
  std::int64_t peak_bytes = 0;        // heaptrack: peak heap; tracemalloc: traced peak
  std::int64_t leaked_bytes = 0;      // all still allocated at exit
  std::int64_t calls = 0;             // heaptrack: calls to allocation functions (0: unknown)
  int processes = 1;                  // tracemalloc: Python processes whose snapshots count
  // Why a table is missing or doubtful, and what to do ("heaptrack cannot follow a static
  // binary: ..."). A profile with tool "none" has only notes.
  std::vector<std::string> notes;
};

// The top `limit` sites by held_bytes (resp. leaked_bytes), largest first, ties by key();
// sites with 0 bytes left out.
std::vector<AllocationSite> top_by_held(const HeapProfile& profile, std::size_t limit);
std::vector<AllocationSite> top_by_leaked(const HeapProfile& profile, std::size_t limit);

// Adds site to sites, summing bytes and calls into an existing one of the same key().
void merge_site(std::vector<AllocationSite>& sites, const AllocationSite& site);

// Source paths under root (the project's folder) made relative to it, so that the profiles of
// two checkouts match; other paths are left as they are (lexically normalised). Sites that then
// share a key are merged.
void relativize_paths(HeapProfile& profile, const std::string& root);

// [{function, file, line}, ...], as a site's "callers" in the profile file.
nlohmann::json callers_to_json(const std::vector<CallerFrame>& callers);

// The profile as stored: every field, and the sites as "sites_by_held" / "sites_by_leaked"
// (the top `limit` of each, so a site may appear in both).
// 200: enough that a site which grows later was listed before (one below the older profile's
// lists counts as new for --against).
nlohmann::json profile_to_json(const HeapProfile& profile, std::size_t limit = 200);

// Reads a profile written by profile_to_json. Throws InputError naming file and the JSON path
// (another schema version, a missing key, a wrong type).
HeapProfile profile_from_json(const nlohmann::json& doc, const std::string& file);

}  // namespace memgate

namespace memgate {

// Profiles are small JSON files; anything larger is a wrong path.
constexpr std::int64_t kMaxProfileFileBytes = 64 * 1024 * 1024;

// baselines/<scenario>.profile.json: the profile `memgate baseline --profile` keeps beside the
// baseline.
std::string profile_path(const std::string& baselines_dir, const std::string& scenario);

// Reads and checks a profile file. Throws InputError (exit 2) naming the file and JSON path.
HeapProfile read_profile_file(const std::string& path);

}  // namespace memgate
