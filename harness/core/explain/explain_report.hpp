#pragma once

// What `memgate explain` writes and prints, from values only: explain.md, explain.html (one
// self-contained page, all markup through XmlWriter) and the console's lines. A profile without
// sites says why in its notes: the outputs show the notes, never an empty table.

#include <optional>
#include <string>
#include <vector>

#include "core/explain/heap_profile.hpp"
#include "core/explain/profile_diff.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

// Rows of each table: a page a reader takes in at once.
constexpr std::size_t kExplainTopSites = 15;

struct ExplainComparison {
  std::string against_file;        // the older profile, as given
  std::string against_created_at;  // when it was made
  std::vector<SiteGrowth> growth;  // largest first (diff_profiles)
};

struct ExplainResult {
  HeapProfile profile;
  std::optional<ExplainComparison> comparison;  // with --against
  std::string report_dir;                       // where the run's own reports are
};

// explain.json: the profile (profile_to_json) plus, with --against, "against": {file,
// created_at, growth: [{site, held_before_bytes, ..., growth_bytes, new}]}.
nlohmann::json explain_json(const ExplainResult& result);
std::string explain_markdown(const ExplainResult& result);
std::string explain_html(const ExplainResult& result);
// The headline (the tool, what it followed), the notes, the growth table (with --against) and
// the site tables, as explain.html and the run's report.html show them.
void write_explain_sections(XmlWriter& xml, const ExplainResult& result);
// The console's summary: the top sites of each table (at most `rows`), the growth with
// --against, the notes.
std::vector<std::string> explain_console_lines(const ExplainResult& result, std::size_t rows);

// The titles of the two tables for a profile's tool ("Peak: ...", "Leaked at exit: ...").
std::string held_title(const HeapProfile& profile);
std::string leaked_title(const HeapProfile& profile);

}  // namespace memgate
