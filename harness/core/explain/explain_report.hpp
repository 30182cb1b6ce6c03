#pragma once

// What `memgate explain` writes and prints, from values only: explain.md, explain.html (one
// self-contained page, all markup through XmlWriter) and the console's lines. A profile without
// sites says why in its notes: the outputs show the notes, never an empty table.

#include <optional>
#include <string>
#include <vector>

#include "core/explain/heap_profile.hpp"
#include "core/explain/profile_diff.hpp"
#include "core/explain/site_areas.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

// Rows of each table: a page a reader takes in at once.
constexpr std::size_t kExplainTopSites = 15;
// Areas per grouping kept in explain.json.
constexpr std::size_t kExplainKeptAreas = 200;

struct ExplainComparison {
  std::string against_file;        // the older profile, as given
  std::string against_created_at;  // when it was made
  std::vector<SiteGrowth> growth;  // largest first (diff_profiles)
  std::int64_t floor_bytes = 0;    // growth at most this is not listed (growth_floor_bytes)
};

struct ExplainResult {
  HeapProfile profile;
  std::optional<ExplainComparison> comparison;  // with --against
  std::string report_dir;                       // where the run's own reports are
  // The areas the console prints a table for (explain --by); line: the sites' own tables.
  std::vector<SiteGrouping> by = {SiteGrouping::line};
};

// explain.json: the profile (profile_to_json), "areas": {function, file, module: [{name,
// held_bytes, held_calls, leaked_bytes, leaked_calls, sites}]} (the top 200 of each the tool
// has), plus, with --against, "against": {file, created_at, floor_bytes, growth: [{site,
// held_before_bytes, ..., growth_bytes, new}]}. explain.md and explain.html show the sites'
// tables, then the areas by module and by each other area asked.
nlohmann::json explain_json(const ExplainResult& result);
std::string explain_markdown(const ExplainResult& result);
std::string explain_html(const ExplainResult& result);
// The headline (the tool, what it followed), the notes, the growth table (with --against) and
// the site tables, as explain.html and the run's report.html show them.
void write_explain_sections(XmlWriter& xml, const ExplainResult& result);
// The console's summary: the growth with --against, the top sites of each table (at most
// `rows`) when the areas asked (by) include line, a table per other area asked, the notes.
std::vector<std::string> explain_console_lines(const ExplainResult& result, std::size_t rows);

// The titles of the two tables for a profile's tool ("Peak: ...", "Leaked at exit: ..."). A
// profile held at exit (a command's tracemalloc: no snapshot at the end of the load) has only
// the second: what it held then is what was still allocated.
std::string held_title(const HeapProfile& profile);
std::string leaked_title(const HeapProfile& profile);

}  // namespace memgate
