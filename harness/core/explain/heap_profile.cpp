#include "core/explain/heap_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>

#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"

namespace memgate {

namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

std::vector<AllocationSite> top_by(const HeapProfile& profile, std::size_t limit,
                                   std::int64_t AllocationSite::*bytes) {
  std::vector<AllocationSite> sites;
  for (const auto& site : profile.sites) {
    if (site.*bytes > 0) sites.push_back(site);
  }
  std::sort(sites.begin(), sites.end(), [&](const AllocationSite& a, const AllocationSite& b) {
    return a.*bytes != b.*bytes ? a.*bytes > b.*bytes : a.key() < b.key();
  });
  if (sites.size() > limit) sites.resize(limit);
  return sites;
}

nlohmann::json site_to_json(const AllocationSite& s) {
  nlohmann::json j = {{"function", s.function},
                      {"file", s.file},
                      {"line", s.line},
                      {"module", s.module},
                      {"code", s.code},
                      {"callers", callers_to_json(s.callers)},
                      {"held_bytes", s.held_bytes},
                      {"held_calls", s.held_calls},
                      {"leaked_bytes", s.leaked_bytes},
                      {"leaked_calls", s.leaked_calls}};
  return j;
}

AllocationSite site_from_json(ObjectReader r) {
  AllocationSite s;
  s.function = r.get_string("function");
  s.file = r.get_string("file");
  s.line = static_cast<int>(r.get_int("line", 0, std::numeric_limits<int>::max()));
  s.module = r.opt_string("module").value_or("");
  s.code = r.opt_string("code").value_or("");
  for (auto& frame : r.get_object_array("callers")) {
    CallerFrame c;
    c.function = frame.get_string("function");
    c.file = frame.get_string("file");
    c.line = static_cast<int>(frame.get_int("line", 0, std::numeric_limits<int>::max()));
    frame.reject_unknown_keys();
    s.callers.push_back(std::move(c));
  }
  s.held_bytes = r.get_int("held_bytes", 0, kMaxInt);
  s.held_calls = r.get_int("held_calls", 0, kMaxInt);
  s.leaked_bytes = r.get_int("leaked_bytes", 0, kMaxInt);
  s.leaked_calls = r.get_int("leaked_calls", 0, kMaxInt);
  r.reject_unknown_keys();
  return s;
}

}  // namespace

nlohmann::json callers_to_json(const std::vector<CallerFrame>& callers) {
  nlohmann::json out = nlohmann::json::array();
  for (const CallerFrame& c : callers) {
    out.push_back({{"function", c.function}, {"file", c.file}, {"line", c.line}});
  }
  return out;
}

std::string CallerFrame::text() const {
  if (file.empty()) return function;
  return line > 0 ? fmt::format("{} ({}:{})", function, file, line)
                  : fmt::format("{} ({})", function, file);
}

std::string AllocationSite::key() const {
  // Without a source file, the module's file name: its folder differs between checkouts.
  const std::string module_file = std::filesystem::path(module).filename().string();
  std::string key;
  if (file.empty() && function.rfind("0x", 0) == 0) {
    key = "?|" + module_file;
  } else {
    const std::string where = fmt::format("{}:{}", file.empty() ? module_file : file, line);
    key = function.empty() ? where : function + "|" + where;
  }
  for (const CallerFrame& c : callers) key += "<-" + c.function;
  return key;
}

std::string AllocationSite::caller_chain() const {
  std::string chain;
  for (const CallerFrame& c : callers) chain += (chain.empty() ? "" : " <- ") + c.text();
  return chain;
}

std::string AllocationSite::location() const {
  if (file.empty()) return module;
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

std::string AllocationSite::label() const {
  if (!function.empty()) return function;
  return code.empty() ? location() : code;
}

std::vector<AllocationSite> top_by_held(const HeapProfile& profile, std::size_t limit) {
  return top_by(profile, limit, &AllocationSite::held_bytes);
}

std::vector<AllocationSite> top_by_leaked(const HeapProfile& profile, std::size_t limit) {
  return top_by(profile, limit, &AllocationSite::leaked_bytes);
}

void merge_site(std::vector<AllocationSite>& sites, const AllocationSite& site) {
  const std::string key = site.key();
  for (auto& s : sites) {
    if (s.key() != key) continue;
    s.held_bytes += site.held_bytes;
    s.held_calls += site.held_calls;
    s.leaked_bytes += site.leaked_bytes;
    s.leaked_calls += site.leaked_calls;
    if (s.code.empty()) s.code = site.code;
    return;
  }
  sites.push_back(site);
}

void relativize_paths(HeapProfile& profile, const std::string& root) {
  std::filesystem::path base = std::filesystem::path(root).lexically_normal();
  if (!base.has_filename()) base = base.parent_path();  // "/src/app/" -> "/src/app"
  const auto relative = [&](std::string& file) {
    if (file.empty() || file.front() != '/') return;
    const std::filesystem::path path = std::filesystem::path(file).lexically_normal();
    const std::filesystem::path rel = path.lexically_relative(base);
    const bool under = !rel.empty() && *rel.begin() != "..";
    file = (under ? rel : path).string();
  };
  std::vector<AllocationSite> sites;
  for (AllocationSite s : profile.sites) {
    relative(s.file);
    for (CallerFrame& c : s.callers) relative(c.file);
    merge_site(sites, s);
  }
  profile.sites = std::move(sites);
}

nlohmann::json profile_to_json(const HeapProfile& p, std::size_t limit) {
  nlohmann::json by_held = nlohmann::json::array();
  for (const auto& s : top_by_held(p, limit)) by_held.push_back(site_to_json(s));
  nlohmann::json by_leaked = nlohmann::json::array();
  for (const auto& s : top_by_leaked(p, limit)) by_leaked.push_back(site_to_json(s));
  return {{"schema_version", p.schema_version},
          {"tool", p.tool},
          {"scenario", p.scenario},
          {"memgate_version", p.memgate_version},
          {"created_at", p.created_at},
          {"command", p.command},
          {"held_at", p.held_at},
          {"totals",
           {{"peak_bytes", p.peak_bytes},
            {"leaked_bytes", p.leaked_bytes},
            {"calls", p.calls},
            {"processes", p.processes}}},
          {"sites_by_held", std::move(by_held)},
          {"sites_by_leaked", std::move(by_leaked)},
          {"notes", p.notes}};
}

HeapProfile profile_from_json(const nlohmann::json& doc, const std::string& file) {
  ObjectReader r(doc, "", file);
  HeapProfile p;
  p.schema_version = static_cast<int>(r.get_int("schema_version", 0, 1000));
  if (p.schema_version != kProfileSchemaVersion) {
    r.fail("schema_version",
           fmt::format("schema version {} is not the {} this memgate reads", p.schema_version,
                       kProfileSchemaVersion),
           "make the profile again with `memgate explain` or `memgate baseline --profile`");
  }
  p.tool = r.get_enum("tool", {"heaptrack", "tracemalloc", "none"});
  p.scenario = r.get_string("scenario");
  p.memgate_version = r.get_string("memgate_version");
  p.created_at = r.get_string("created_at");
  p.command = r.opt_string_array("command", 0, 100000).value_or(std::vector<std::string>{});
  p.held_at = r.get_string("held_at");
  ObjectReader totals = r.get_object("totals");
  p.peak_bytes = totals.get_int("peak_bytes", 0, kMaxInt);
  p.leaked_bytes = totals.get_int("leaked_bytes", 0, kMaxInt);
  p.calls = totals.get_int("calls", 0, kMaxInt);
  p.processes = static_cast<int>(totals.get_int("processes", 0, 1000000));
  totals.reject_unknown_keys();
  // The two lists overlap: a site in both is the same site, kept once.
  for (const char* list : {"sites_by_held", "sites_by_leaked"}) {
    for (auto& item : r.get_object_array(list)) {
      AllocationSite site = site_from_json(item);
      const bool known = std::any_of(p.sites.begin(), p.sites.end(), [&](const AllocationSite& s) {
        return s.key() == site.key();
      });
      if (!known) p.sites.push_back(std::move(site));
    }
  }
  p.notes = r.opt_string_array("notes", 0, 1000).value_or(std::vector<std::string>{});
  r.opt_raw("against");  // an explain.json made with --against: its comparison is not the profile
  r.opt_raw("areas");    // explain.json's sums by area: derived from the sites
  r.reject_unknown_keys();
  return p;
}

}  // namespace memgate

namespace memgate {

std::string profile_path(const std::string& baselines_dir, const std::string& scenario) {
  return (baselines_dir.empty() ? std::string(".") : baselines_dir) + "/" + scenario +
         ".profile.json";
}

HeapProfile read_profile_file(const std::string& path) {
  return profile_from_json(parse_json_text(read_input_file(path, kMaxProfileFileBytes), path),
                           path);
}

}  // namespace memgate
