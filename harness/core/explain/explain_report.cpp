#include "core/explain/explain_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/model/units.hpp"
#include "core/report/markdown_cell.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

namespace {

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; color: #1d2330; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dde2ea; padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f4f6f9; } td.name, th.name { text-align: left; } td.code { font-family: monospace; font-size: 12px; }
.note { background: #fff3d6; color: #7a5300; padding: 6px 10px; border-radius: 4px; }
footer { margin-top: 32px; color: #7a8394; font-size: 12px; }
)";

std::string signed_bytes(std::int64_t bytes) {
  return (bytes > 0 ? "+" : "") + format_bytes(static_cast<double>(bytes));
}

std::string calls_word(const HeapProfile& p) {
  return p.tool == "tracemalloc" ? "blocks" : "calls";
}

// The location column of the tables: where the site is, and its callers in the SUT's own code.
std::string location_cell(const AllocationSite& s) {
  return s.callers.empty() ? s.location() : s.location() + ", from " + s.caller_chain();
}

// The same in a page: the callers folded under the first one's name.
void location_html(XmlWriter& xml, const AllocationSite& s) {
  xml.start("td").attr("class", "name").text(s.location());
  if (!s.callers.empty()) {
    xml.start("details").element("summary", "from " + s.callers.front().function);
    for (const CallerFrame& c : s.callers) xml.element("div", "<- " + c.text());
    xml.end();
  }
  xml.end();
}

// Where a site is, after its label (nothing more when the label is the location itself).
std::string site_where(const AllocationSite& s) {
  std::string where = s.label() == s.location() ? "" : s.location();
  if (!s.callers.empty()) where += (where.empty() ? "from " : ", from ") + s.caller_chain();
  return where;
}

using Column = std::int64_t AllocationSite::*;

struct Table {
  std::string title;
  std::vector<AllocationSite> sites;
  Column bytes, calls;
};

std::vector<Table> tables(const HeapProfile& p) {
  Table leaked{leaked_title(p), top_by_leaked(p, kExplainTopSites), &AllocationSite::leaked_bytes,
               &AllocationSite::leaked_calls};
  // Held at exit (no snapshot at the end of the load: a command) is what was still allocated at
  // exit: one table, not the same one twice.
  if (p.held_at == "exit") return {leaked};
  return {{held_title(p), top_by_held(p, kExplainTopSites), &AllocationSite::held_bytes,
           &AllocationSite::held_calls},
          leaked};
}

std::string empty_table_reason(const HeapProfile& p, const Table& t) {
  if (t.bytes == &AllocationSite::leaked_bytes) {
    return p.tool == "tracemalloc" ? "nothing the program allocated was still held at exit"
                                   : "no leak: every allocation was freed before exit";
  }
  return "no allocation was held";
}

std::string headline(const HeapProfile& p) {
  if (p.tool == "none") return "not profiled";
  std::string line =
      fmt::format("{}: peak {}", p.tool, format_bytes(static_cast<double>(p.peak_bytes)));
  // tracemalloc without an exit snapshot does not know what was left (a note says so).
  const bool leak_known = p.tool == "heaptrack" || p.leaked_bytes > 0 ||
                          std::any_of(p.sites.begin(), p.sites.end(),
                                      [](const AllocationSite& s) { return s.leaked_calls > 0; });
  if (leak_known) {
    line += ", still allocated at exit " + format_bytes(static_cast<double>(p.leaked_bytes));
  }
  if (p.calls > 0) line += fmt::format(", {} calls to allocation functions", p.calls);
  if (p.processes > 1) line += fmt::format(", {} processes", p.processes);
  return line;
}

void md_table(std::string& out, const HeapProfile& p, const Table& t) {
  out += fmt::format("## {}\n\n", t.title);
  if (t.sites.empty()) {
    out += fmt::format("_{}._\n\n", empty_table_reason(p, t));
    return;
  }
  const bool python = p.tool == "tracemalloc";
  out += fmt::format("| # | {} | location | bytes | {} |\n|---|---|---|---:|---:|\n",
                     python ? "code" : "function", calls_word(p));
  for (std::size_t i = 0; i < t.sites.size(); ++i) {
    const AllocationSite& s = t.sites[i];
    out += fmt::format("| {} | {} | {} | {} | {} |\n", i + 1, markdown_cell(s.label()),
                       markdown_cell(location_cell(s)),
                       format_bytes(static_cast<double>(s.*t.bytes)), s.*t.calls);
  }
  out += "\n";
}

void html_table(XmlWriter& xml, const HeapProfile& p, const Table& t) {
  xml.start("section").element("h2", t.title);
  if (t.sites.empty()) {
    xml.start("p").attr("class", "note").text(empty_table_reason(p, t)).end().end().newline();
    return;
  }
  const bool python = p.tool == "tracemalloc";
  xml.start("table").start("tr");
  xml.element("th", "#").start("th").attr("class", "name").text(python ? "code" : "function").end();
  xml.start("th").attr("class", "name").text("location").end();
  xml.element("th", "bytes").element("th", calls_word(p)).end().newline();
  for (std::size_t i = 0; i < t.sites.size(); ++i) {
    const AllocationSite& s = t.sites[i];
    xml.start("tr").element("td", std::to_string(i + 1));
    xml.start("td").attr("class", python ? "name code" : "name").text(s.label()).end();
    location_html(xml, s);
    xml.element("td", format_bytes(static_cast<double>(s.*t.bytes)));
    xml.element("td", std::to_string(s.*t.calls)).end().newline();
  }
  xml.end().end().newline();
}

// With the noise floor: what two runs of one build differ by is not listed.
std::string growth_title(const ExplainComparison& c) {
  return fmt::format("Grown since {}{}{}", c.against_file,
                     c.against_created_at.empty() ? "" : " (" + c.against_created_at + ")",
                     c.floor_bytes > 0
                         ? fmt::format(", by more than {} per site (the noise between two runs)",
                                       format_bytes(static_cast<double>(c.floor_bytes)))
                         : "");
}

// The areas explain.md and explain.html show beside the sites: by module, and each other asked.
std::vector<SiteGrouping> shown_areas(const ExplainResult& r) {
  std::vector<SiteGrouping> shown;
  for (const SiteGrouping by : {SiteGrouping::module, SiteGrouping::function, SiteGrouping::file}) {
    const bool asked = std::find(r.by.begin(), r.by.end(), by) != r.by.end();
    if ((asked || by == SiteGrouping::module) && has_grouping(r.profile, by)) shown.push_back(by);
  }
  return shown;
}

std::string area_title(const HeapProfile& p, SiteGrouping by) {
  return fmt::format("By {}: {} and {}", grouping_name(by),
                     p.held_at == "heap peak" ? "at the heap's peak"
                     : p.held_at == "exit"    ? "held at exit"
                                              : "held when the load ended",
                     p.tool == "tracemalloc" ? "still allocated at exit" : "leaked");
}

// Why a profile has no table for an area, or "".
std::string no_area_reason(const HeapProfile& p, SiteGrouping by) {
  if (has_grouping(p, by)) return "";
  return p.tool == "tracemalloc" ? "tracemalloc records files and lines, not functions: use --by "
                                   "file or --by module"
                                 : "nothing was profiled";
}

}  // namespace

std::string held_title(const HeapProfile& p) {
  return p.held_at == "heap peak" ? "Peak: what each site held at the heap's peak"
                                  : "Held when the load ended";
}

std::string leaked_title(const HeapProfile& p) {
  return p.tool == "tracemalloc" ? "Still allocated at exit" : "Leaked: never freed before exit";
}

nlohmann::json explain_json(const ExplainResult& r) {
  nlohmann::json doc = profile_to_json(r.profile);
  nlohmann::json areas = nlohmann::json::object();
  for (const SiteGrouping by : {SiteGrouping::function, SiteGrouping::file, SiteGrouping::module}) {
    if (!has_grouping(r.profile, by)) continue;
    nlohmann::json list = nlohmann::json::array();
    for (const SiteArea& a : site_areas(r.profile, by, kExplainKeptAreas)) {
      list.push_back({{"name", a.name},
                      {"held_bytes", a.held_bytes},
                      {"held_calls", a.held_calls},
                      {"leaked_bytes", a.leaked_bytes},
                      {"leaked_calls", a.leaked_calls},
                      {"sites", a.sites}});
    }
    areas[grouping_name(by)] = std::move(list);
  }
  if (!areas.empty()) doc["areas"] = std::move(areas);
  if (r.comparison) {
    nlohmann::json growth = nlohmann::json::array();
    for (const auto& g : r.comparison->growth) {
      growth.push_back({{"function", g.site.function},
                        {"file", g.site.file},
                        {"line", g.site.line},
                        {"code", g.site.code},
                        {"callers", callers_to_json(g.site.callers)},
                        {"held_before_bytes", g.held_before_bytes},
                        {"held_after_bytes", g.held_after_bytes},
                        {"leaked_before_bytes", g.leaked_before_bytes},
                        {"leaked_after_bytes", g.leaked_after_bytes},
                        {"growth_bytes", g.growth_bytes()},
                        {"new", g.is_new}});
    }
    doc["against"] = {{"file", r.comparison->against_file},
                      {"created_at", r.comparison->against_created_at},
                      {"floor_bytes", r.comparison->floor_bytes},
                      {"growth", std::move(growth)}};
  }
  return doc;
}

std::string explain_markdown(const ExplainResult& r) {
  const HeapProfile& p = r.profile;
  std::string out = fmt::format("# memgate explain: {}\n\n{}\n\n", markdown_cell(p.scenario),
                                markdown_cell(headline(p)));
  for (const auto& note : p.notes) out += fmt::format("> **note:** {}\n\n", markdown_cell(note));
  if (r.comparison) {
    out += fmt::format("## {}\n\n", markdown_cell(growth_title(*r.comparison)));
    if (r.comparison->growth.empty()) {
      out += "_No site holds more than in the older profile._\n\n";
    } else {
      out +=
          "| # | site | location | held before | held now | leaked before | leaked now | "
          "growth |\n|---|---|---|---:|---:|---:|---:|---:|\n";
      for (std::size_t i = 0; i < r.comparison->growth.size(); ++i) {
        const SiteGrowth& g = r.comparison->growth[i];
        out += fmt::format("| {} | {}{} | {} | {} | {} | {} | {} | {} |\n", i + 1,
                           markdown_cell(g.site.label()), g.is_new ? " (new)" : "",
                           markdown_cell(location_cell(g.site)),
                           format_bytes(static_cast<double>(g.held_before_bytes)),
                           format_bytes(static_cast<double>(g.held_after_bytes)),
                           format_bytes(static_cast<double>(g.leaked_before_bytes)),
                           format_bytes(static_cast<double>(g.leaked_after_bytes)),
                           signed_bytes(g.growth_bytes()));
      }
      out += "\n";
    }
  }
  if (p.tool != "none") {
    for (const Table& t : tables(p)) md_table(out, p, t);
  }
  for (const SiteGrouping by : shown_areas(r)) {
    out += fmt::format("## {}\n\n| # | {} | held | leaked | sites |\n|---|---|---:|---:|---:|\n",
                       area_title(p, by), grouping_name(by));
    const auto areas = site_areas(p, by, kExplainTopSites);
    for (std::size_t i = 0; i < areas.size(); ++i) {
      out += fmt::format("| {} | {} | {} | {} | {} |\n", i + 1, markdown_cell(areas[i].name),
                         format_bytes(static_cast<double>(areas[i].held_bytes)),
                         format_bytes(static_cast<double>(areas[i].leaked_bytes)), areas[i].sites);
    }
    out += "\n";
  }
  if (!p.command.empty()) {
    std::string command;
    for (const auto& arg : p.command) command += (command.empty() ? "" : " ") + arg;
    out += fmt::format("SUT: `{}`\n", markdown_cell(command));
  }
  return out;
}

void write_explain_sections(XmlWriter& xml, const ExplainResult& r) {
  const HeapProfile& p = r.profile;
  xml.element("p", headline(p)).newline();
  for (const auto& note : p.notes) {
    xml.start("p").attr("class", "note").text("note: " + note).end().newline();
  }
  if (r.comparison) {
    xml.start("section").element("h2", growth_title(*r.comparison));
    if (r.comparison->growth.empty()) {
      xml.element("p", "No site holds more than in the older profile.");
    } else {
      xml.start("table").start("tr").element("th", "#");
      xml.start("th").attr("class", "name").text("site").end();
      xml.start("th").attr("class", "name").text("location").end();
      for (const char* h : {"held before", "held now", "leaked before", "leaked now", "growth"}) {
        xml.element("th", h);
      }
      xml.end().newline();
      for (std::size_t i = 0; i < r.comparison->growth.size(); ++i) {
        const SiteGrowth& g = r.comparison->growth[i];
        xml.start("tr").element("td", std::to_string(i + 1));
        xml.start("td").attr("class", "name").text(g.site.label() + (g.is_new ? " (new)" : ""));
        xml.end();
        location_html(xml, g.site);
        for (const std::int64_t v : {g.held_before_bytes, g.held_after_bytes, g.leaked_before_bytes,
                                     g.leaked_after_bytes}) {
          xml.element("td", format_bytes(static_cast<double>(v)));
        }
        xml.element("td", signed_bytes(g.growth_bytes())).end().newline();
      }
      xml.end();
    }
    xml.end().newline();
  }
  if (p.tool != "none") {
    for (const Table& t : tables(p)) html_table(xml, p, t);
  }
  for (const SiteGrouping by : shown_areas(r)) {
    xml.start("section").element("h2", area_title(p, by));
    xml.start("table").start("tr").element("th", "#");
    xml.start("th").attr("class", "name").text(grouping_name(by)).end();
    xml.element("th", "held").element("th", "leaked").element("th", "sites").end().newline();
    const auto areas = site_areas(p, by, kExplainTopSites);
    for (std::size_t i = 0; i < areas.size(); ++i) {
      xml.start("tr").element("td", std::to_string(i + 1));
      xml.start("td").attr("class", "name").text(areas[i].name).end();
      xml.element("td", format_bytes(static_cast<double>(areas[i].held_bytes)));
      xml.element("td", format_bytes(static_cast<double>(areas[i].leaked_bytes)));
      xml.element("td", std::to_string(areas[i].sites)).end().newline();
    }
    xml.end().end().newline();
  }
}

std::string explain_html(const ExplainResult& r) {
  const HeapProfile& p = r.profile;
  std::string out = "<!DOCTYPE html>\n";
  XmlWriter xml(out, true);
  xml.start("html").attr("lang", "en").newline();
  xml.start("head").raw("<meta charset=\"utf-8\"/>");
  xml.element("title", "memgate explain · " + p.scenario).start("style").raw(kStyle).end();
  xml.end().newline();
  xml.start("body").newline();
  xml.start("header").element("h1", "memgate explain · " + p.scenario).end().newline();
  write_explain_sections(xml, r);
  std::string command;
  for (const auto& arg : p.command) command += (command.empty() ? "" : " ") + arg;
  xml.start("footer");
  if (!command.empty()) xml.element("p", "SUT: " + command);
  if (!r.report_dir.empty()) {
    xml.element("p", "The run's memory report: " + r.report_dir + "/report.html");
  }
  xml.element("p", fmt::format("memgate {} · {}", p.memgate_version, p.created_at));
  xml.end().newline();
  xml.end().end().newline();
  return out;
}

std::vector<std::string> explain_console_lines(const ExplainResult& r, std::size_t rows) {
  const HeapProfile& p = r.profile;
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{}: {}", p.scenario, headline(p)));
  if (r.comparison) {
    lines.push_back("  " + growth_title(*r.comparison) + ":");
    if (r.comparison->growth.empty()) lines.push_back("    no site holds more than before");
    for (std::size_t i = 0; i < r.comparison->growth.size() && i < rows; ++i) {
      const SiteGrowth& g = r.comparison->growth[i];
      lines.push_back(fmt::format("    {:>10}  {}{}  ({}; leaked {} -> {}, held {} -> {})",
                                  signed_bytes(g.growth_bytes()), g.site.label(),
                                  g.is_new ? " (new)" : "", site_where(g.site),
                                  format_bytes(static_cast<double>(g.leaked_before_bytes)),
                                  format_bytes(static_cast<double>(g.leaked_after_bytes)),
                                  format_bytes(static_cast<double>(g.held_before_bytes)),
                                  format_bytes(static_cast<double>(g.held_after_bytes))));
    }
  }
  const bool by_line = std::find(r.by.begin(), r.by.end(), SiteGrouping::line) != r.by.end();
  if (p.tool != "none" && by_line) {
    for (const Table& t : tables(p)) {
      lines.push_back("  " + t.title + ":");
      if (t.sites.empty()) lines.push_back("    " + empty_table_reason(p, t));
      for (std::size_t i = 0; i < t.sites.size() && i < rows; ++i) {
        const AllocationSite& s = t.sites[i];
        const std::string where = site_where(s);
        lines.push_back(fmt::format(
            "    {:>10}  {:>7} {}  {}{}", format_bytes(static_cast<double>(s.*t.bytes)), s.*t.calls,
            calls_word(p), s.label(), where.empty() ? "" : "  (" + where + ")"));
      }
    }
  }
  for (const SiteGrouping by : r.by) {
    if (by == SiteGrouping::line || p.tool == "none") continue;
    lines.push_back("  " + area_title(p, by) + ":");
    if (const std::string why = no_area_reason(p, by); !why.empty()) {
      lines.push_back("    " + why);
      continue;
    }
    for (const SiteArea& a : site_areas(p, by, rows)) {
      lines.push_back(fmt::format("    {:>10} held  {:>10} leaked  {}",
                                  format_bytes(static_cast<double>(a.held_bytes)),
                                  format_bytes(static_cast<double>(a.leaked_bytes)), a.name));
    }
  }
  for (const auto& note : p.notes) lines.push_back("  note: " + note);
  return lines;
}

}  // namespace memgate
