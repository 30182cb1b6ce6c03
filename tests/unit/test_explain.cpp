// memgate explain's pure parts: heaptrack_print's text and tracemalloc snapshots (recorded from
// the real tools: tests/data/explain, heaptrack 1.4.0 of Debian bookworm and memgate's own
// sitecustomize under CPython 3.11), the profile file, the diff behind --against, the choice
// of tool and the environment that turns it on, and the outputs when nothing could be profiled.

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/explain/explain_plan.hpp"
#include "core/explain/explain_report.hpp"
#include "core/explain/heap_profile.hpp"
#include "core/explain/heaptrack_text.hpp"
#include "core/explain/profile_diff.hpp"
#include "core/explain/site_areas.hpp"
#include "core/explain/tracemalloc_snapshot.hpp"
#include "core/model/errors.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(MEMGATE_TEST_DATA) + "/explain/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const AllocationSite* find_site(const HeapProfile& p, const std::string& function) {
  for (const auto& s : p.sites) {
    if (s.function == function) return &s;
  }
  return nullptr;
}

AllocationSite site(const std::string& function, int line, std::int64_t held, std::int64_t leaked) {
  AllocationSite s;
  s.function = function;
  s.file = "/src/app.cpp";
  s.line = line;
  s.held_bytes = held;
  s.leaked_bytes = leaked;
  s.held_calls = s.leaked_calls = 1;
  return s;
}

HeapProfile heaptrack_profile(std::vector<AllocationSite> sites) {
  HeapProfile p;
  p.tool = "heaptrack";
  p.held_at = "heap peak";
  p.scenario = "app";
  p.sites = std::move(sites);
  return p;
}

}  // namespace

TEST_CASE("explain: heaptrack_print's sizes in every unit it prints") {
  struct Case {
    const char* text;
    std::optional<std::int64_t> bytes;
  };
  const std::vector<Case> cases = {{"512B", 512},
                                   {"0B", 0},
                                   {"4.10M", 4'100'000},
                                   {"72.70K", 72'700},
                                   {"1.50G", 1'500'000'000},
                                   {"2.00T", 2'000'000'000'000},
                                   {"", std::nullopt},
                                   {"4.10", std::nullopt},
                                   {"M", std::nullopt},
                                   {"-1.00M", std::nullopt},
                                   {"1.0X", std::nullopt}};
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_heaptrack_bytes(c.text) == c.bytes);
  }
}

TEST_CASE("explain: heaptrack_print's peaks and leaks become sites with their callers") {
  const HeapProfile p = parse_heaptrack_print(recorded("heaptrack_print_two_leaks.txt"));
  CHECK(p.tool == "heaptrack");
  CHECK(p.held_at == "heap peak");
  CHECK(p.notes.empty());
  CHECK(p.peak_bytes == 5'200'000);
  CHECK(p.leaked_bytes == 5'120'000);
  CHECK(p.calls == 2012);

  const AllocationSite* parser = find_site(p, "leak_from_parser(unsigned long)");
  REQUIRE(parser);
  CHECK(parser->file == "/tmp/ht/leak.cpp");
  CHECK(parser->line == 8);
  CHECK(parser->module == "/tmp/ht/leak");
  CHECK(parser->held_bytes == 4'100'000);
  CHECK(parser->held_calls == 1000);
  CHECK(parser->leaked_bytes == 4'100'000);
  CHECK(parser->leaked_calls == 1000);
  // Its callers in the program's own code (one backtrace: main).
  REQUIRE(parser->callers.size() == 1);
  CHECK(parser->callers[0] == CallerFrame{"main", "/tmp/ht/leak.cpp", 15});

  const AllocationSite* cache = find_site(p, "keep_in_cache(unsigned long)");
  REQUIRE(cache);
  CHECK(cache->line == 12);
  CHECK(cache->leaked_bytes == 1'020'000);

  // std::vector's growth allocates in a system header: the program's frame above it is named.
  const AllocationSite* vector =
      find_site(p, "std::__new_allocator<>::allocate(unsigned long, void const*)");
  REQUIRE(vector);
  CHECK(vector->caller_chain() ==
        "keep_in_cache(unsigned long) (/tmp/ht/leak.cpp:12) <- main (/tmp/ht/leak.cpp:15)");
  CHECK(vector->held_bytes == 8'190);
  CHECK(vector->leaked_bytes == 0);

  // A frame without symbols: its address and module.
  const AllocationSite* unknown = find_site(p, "0x7f9341ea57b9");
  REQUIRE(unknown);
  CHECK(unknown->file.empty());
  CHECK(unknown->module == "/lib/x86_64-linux-gnu/libstdc++.so.6");
  CHECK(unknown->location() == "/lib/x86_64-linux-gnu/libstdc++.so.6");
  // Keyed by its module, not by the address, which moves with every run; the loader's frames
  // above it are no code of the program's.
  CHECK(unknown->key() == "?|libstdc++.so.6");
  CHECK(unknown->callers.empty());

  const auto leaked = top_by_leaked(p, 10);
  REQUIRE(leaked.size() == 2);
  CHECK(leaked[0].function == "leak_from_parser(unsigned long)");
  CHECK(leaked[1].function == "keep_in_cache(unsigned long)");
  const auto held = top_by_held(p, 2);
  REQUIRE(held.size() == 2);
  CHECK(held[0].function == "leak_from_parser(unsigned long)");
}

TEST_CASE("explain: a helper shared by a leak and a spike is two rows, each naming its caller") {
  // Recorded: mg-explain-sut --helper-leaks 4000 --bytes 16384 --helper-spike-mib 64.
  const HeapProfile p = parse_heaptrack_print(recorded("heaptrack_print_shared_helper.txt"));
  std::vector<const AllocationSite*> touch;
  for (const auto& s : p.sites) {
    if (s.function == "touch") touch.push_back(&s);
  }
  REQUIRE(touch.size() == 2);
  const auto by_caller = [&](const std::string& caller) -> const AllocationSite& {
    for (const AllocationSite* s : touch) {
      if (!s->callers.empty() && s->callers[0].function == caller) return *s;
    }
    FAIL("no row from " << caller);
    return *touch[0];
  };
  const AllocationSite& leak = by_caller("cache_put_leaky");
  CHECK(leak.held_bytes == 65'540'000);
  CHECK(leak.held_calls == 4000);
  CHECK(leak.leaked_bytes == 65'540'000);
  CHECK(leak.leaked_calls == 4000);
  CHECK_THAT(leak.caller_chain(), Catch::StartsWith("cache_put_leaky (/") &&
                                      Catch::Contains("explain_sut.cpp:53) <- main ("));
  const AllocationSite& spike = by_caller("scratch_spike");
  CHECK(spike.held_bytes == 67'110'000);
  CHECK(spike.held_calls == 1);
  CHECK(spike.leaked_bytes == 0);  // freed: a spike, not a leak
  CHECK(leak.key() != spike.key());

  SECTION("depth 1: the nearest caller only; depth 0: one row, as before callers were kept") {
    const HeapProfile one = parse_heaptrack_print(recorded("heaptrack_print_shared_helper.txt"), 1);
    for (const auto& s : one.sites) {
      if (s.function == "touch") CHECK(s.callers.size() == 1);
    }
    const HeapProfile none =
        parse_heaptrack_print(recorded("heaptrack_print_shared_helper.txt"), 0);
    const AllocationSite* merged = find_site(none, "touch");
    REQUIRE(merged);
    CHECK(merged->held_bytes == 65'540'000 + 67'110'000);
    CHECK(merged->held_calls == 4001);
  }
}

TEST_CASE("explain: the callers heaptrack did not list are one row of the rest") {
  // Recorded: five callers of one helper, heaptrack_print --sub-peak-limit 3.
  const HeapProfile p = parse_heaptrack_print(recorded("heaptrack_print_five_callers.txt"));
  std::int64_t held = 0, calls = 0;
  const AllocationSite* rest = nullptr;
  for (const auto& s : p.sites) {
    if (s.function != "touch(unsigned long)") continue;
    held += s.held_bytes;
    calls += s.held_calls;
    if (s.caller_chain() == "(other callers)") rest = &s;
  }
  CHECK(held == 15'000'000);  // every byte of the site, in its four rows
  CHECK(calls == 5);
  REQUIRE(rest);
  CHECK(rest->held_bytes == 3'000'000);
  CHECK(rest->held_calls == 2);
  CHECK(rest->leaked_bytes == 3'000'000);
}

TEST_CASE("explain: paths under the project are relative, so two checkouts' profiles match") {
  HeapProfile a = heaptrack_profile({site("parse(int)", 8, 4096, 4096)});
  a.sites[0].callers = {{"main", "/src/app/./main.cpp", 3}};
  HeapProfile b = a;
  a.sites[0].file = "/home/ci/app/src/../src/app.cpp";
  a.sites[0].callers[0].file = "/home/ci/app/main.cpp";
  b.sites[0].file = "/work/app/src/app.cpp";
  b.sites[0].callers[0].file = "/work/app/main.cpp";
  relativize_paths(a, "/home/ci/app/");
  relativize_paths(b, "/work/app");
  CHECK(a.sites[0].file == "src/app.cpp");
  CHECK(a.sites[0].callers[0].file == "main.cpp");
  CHECK(a.sites[0].key() == b.sites[0].key());
  CHECK(diff_profiles(a, b, "a.json", 10, 0).empty());
  // A path outside the project stays absolute.
  HeapProfile c = heaptrack_profile({site("parse(int)", 8, 4096, 4096)});
  c.sites[0].file = "/usr/include/c++/12/bits/new_allocator.h";
  relativize_paths(c, "/work/app");
  CHECK(c.sites[0].file == "/usr/include/c++/12/bits/new_allocator.h");
}

TEST_CASE("explain: sites summed by function, file and module") {
  HeapProfile p = heaptrack_profile(
      {site("touch", 5, 100, 10), site("touch", 5, 50, 0), site("parse(int)", 8, 20, 20)});
  p.sites[0].callers = {{"cache_put", "", 0}};
  p.sites[1].callers = {{"scratch", "", 0}};
  p.sites[0].module = p.sites[1].module = "/srv/app/bin/app";
  p.sites[2].module = "/lib/x86_64-linux-gnu/libfoo.so.1";
  p.sites[2].file = "/src/foo.cpp";
  const auto by_function = site_areas(p, SiteGrouping::function, 10);
  REQUIRE(by_function.size() == 2);
  CHECK(by_function[0].name == "touch");
  CHECK(by_function[0].held_bytes == 150);
  CHECK(by_function[0].leaked_bytes == 10);
  CHECK(by_function[0].sites == 2);
  const auto by_module = site_areas(p, SiteGrouping::module, 10);
  REQUIRE(by_module.size() == 2);
  CHECK(by_module[0].name == "app");
  CHECK(by_module[1].name == "libfoo.so.1");
  CHECK(site_areas(p, SiteGrouping::file, 10).at(1).name == "/src/foo.cpp");
  CHECK(site_areas(p, SiteGrouping::file, 1).size() == 1);

  // tracemalloc records no functions: the console says so; explain.json has the other areas,
  // and stays a profile --against reads.
  HeapProfile python = p;
  python.tool = "tracemalloc";
  python.held_at = "end of load";
  CHECK_FALSE(has_grouping(python, SiteGrouping::function));
  ExplainResult r;
  r.profile = python;
  r.by = {SiteGrouping::function, SiteGrouping::module};
  const auto lines = explain_console_lines(r, 5);
  std::string console;
  for (const auto& line : lines) console += line + "\n";
  CHECK_THAT(console, Catch::Contains("tracemalloc records files and lines, not functions") &&
                          Catch::Contains("By module: held when the load ended") &&
                          !Catch::Contains("Held when the load ended:"));  // no line tables
  const json doc = explain_json(r);
  CHECK(doc["areas"].contains("module"));
  CHECK_FALSE(doc["areas"].contains("function"));
  CHECK(doc["areas"]["module"][0]["name"] == "app");
  CHECK_NOTHROW(profile_from_json(doc, "explain.json"));
  CHECK_THAT(explain_markdown(r), Catch::Contains("## By module: ") &&
                                      Catch::Contains("| 1 | app | 150 B | 10 B | 2 |"));
}

TEST_CASE("explain: heaptrack_print without its sections is a note, not an empty table") {
  const HeapProfile p = parse_heaptrack_print("reading file \"x\" - please wait\n");
  CHECK(p.sites.empty());
  REQUIRE(p.notes.size() == 1);
  CHECK_THAT(p.notes[0], Catch::Contains("no peak or leak section"));
}

TEST_CASE("explain: tracemalloc snapshots at the load's end and at exit") {
  const std::vector<TracemallocSnapshot> both = {
      {"exit.json", json::parse(recorded("tracemalloc_exit.4242.json"))},
      {"load-end.json", json::parse(recorded("tracemalloc_load-end.4242.json"))}};
  const HeapProfile p = profile_from_snapshots(both);
  CHECK(p.tool == "tracemalloc");
  CHECK(p.held_at == "end of load");
  CHECK(p.notes.empty());
  CHECK(p.processes == 1);
  CHECK(p.peak_bytes == both[0].doc["traced_peak_bytes"].get<std::int64_t>());
  CHECK(p.leaked_bytes == both[0].doc["traced_bytes"].get<std::int64_t>());
  const auto held = top_by_held(p, 1);
  REQUIRE(held.size() == 1);
  CHECK(held[0].location() == "/app/worker.py:4");
  CHECK(held[0].code == "kept.append(bytearray(16384))");
  CHECK(held[0].label() == "kept.append(bytearray(16384))");
  CHECK(held[0].held_bytes == 3'289'800);
  CHECK(held[0].held_calls == 401);
  CHECK(held[0].leaked_bytes == 3'289'800);
  CHECK(held[0].key() == "/app/worker.py:4");

  SECTION("only the exit snapshot: held at exit, one table, and a note says why") {
    const HeapProfile exit_only = profile_from_snapshots({both[0]});
    CHECK(exit_only.held_at == "exit");
    CHECK(top_by_held(exit_only, 1)[0].held_bytes == 3'289'800);
    REQUIRE(exit_only.notes.size() == 1);
    CHECK_THAT(exit_only.notes[0], Catch::Contains("no snapshot at the end of the load"));
    // What it held at exit is what was still allocated then: the same table is not shown twice.
    ExplainResult r;
    r.profile = exit_only;
    const std::string md = explain_markdown(r);
    CHECK_THAT(md, Catch::Contains("## Still allocated at exit") && !Catch::Contains("## Held"));
    CHECK_THAT(md, Catch::Contains("| 1 | kept.append(bytearray(16384)) | /app/worker.py:4 |"));
    const auto lines = explain_console_lines(r, 5);
    CHECK(std::count(lines.begin(), lines.end(), "  Still allocated at exit:") == 1);
    CHECK(std::none_of(lines.begin(), lines.end(),
                       [](const std::string& l) { return l.find("Held") != std::string::npos; }));
  }
  SECTION("only the load's end: no leak table, and a note") {
    const HeapProfile load_only = profile_from_snapshots({both[1]});
    CHECK(top_by_leaked(load_only, 5).empty());
    CHECK_THAT(load_only.notes.at(0), Catch::Contains("no snapshot at exit"));
  }
  SECTION("no snapshot: a note naming the likely causes") {
    const HeapProfile none = profile_from_snapshots({});
    CHECK(none.sites.empty());
    CHECK_THAT(none.notes.at(0), Catch::Contains("wrote no tracemalloc snapshot"));
  }
  SECTION("two processes add up by file and line") {
    TracemallocSnapshot child = both[1];
    child.doc["pid"] = 4243;
    const HeapProfile two = profile_from_snapshots({both[0], both[1], child});
    CHECK(two.processes == 2);
    CHECK(top_by_held(two, 1)[0].held_bytes == 2 * 3'289'800);
  }
  SECTION("a malformed snapshot names its file and JSON path") {
    TracemallocSnapshot bad = both[1];
    bad.doc["stats"][0]["line"] = "four";
    try {
      profile_from_snapshots({bad});
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.file() == "load-end.json");
      CHECK(e.json_path() == "/stats/0/line");
    }
  }
}

TEST_CASE("explain: the profile file round-trips, and a bad one names its JSON path") {
  HeapProfile p =
      heaptrack_profile({site("parse(int)", 8, 4096, 4096), site("cache()", 12, 0, 10)});
  p.peak_bytes = 5000;
  p.leaked_bytes = 4106;
  p.calls = 7;
  p.created_at = "2026-11-28T05:00:00Z";
  p.memgate_version = "0.1.0";
  p.command = {"{bindir}/app", "--x"};
  p.notes = {"a note"};
  const json doc = profile_to_json(p);
  CHECK(doc["sites_by_held"].size() == 1);
  CHECK(doc["sites_by_leaked"].size() == 2);
  const HeapProfile back = profile_from_json(doc, "p.json");
  CHECK(back.tool == "heaptrack");
  CHECK(back.sites.size() == 2);  // the site in both lists is kept once
  CHECK(back.peak_bytes == 5000);
  CHECK(back.command == p.command);
  CHECK(back.notes == p.notes);
  CHECK(profile_to_json(back) == doc);
  // An explain.json made with --against is a profile for the next --against too.
  json with_comparison = doc;
  with_comparison["against"] = {{"file", "old.json"}, {"growth", json::array()}};
  CHECK(profile_to_json(profile_from_json(with_comparison, "explain.json")) == doc);

  struct Case {
    const char* name;
    std::function<void(json&)> damage;
    const char* path;
  };
  const std::vector<Case> cases = {
      {"an older schema", [](json& d) { d["schema_version"] = 1; }, "/schema_version"},
      {"an unknown tool", [](json& d) { d["tool"] = "valgrind"; }, "/tool"},
      {"bytes as text", [](json& d) { d["sites_by_leaked"][1]["leaked_bytes"] = "10"; },
       "/sites_by_leaked/1/leaked_bytes"},
      {"negative bytes", [](json& d) { d["totals"]["peak_bytes"] = -1; }, "/totals/peak_bytes"},
      {"a typo", [](json& d) { d["notse"] = json::array(); }, "/notse"},
      {"no sites", [](json& d) { d.erase("sites_by_held"); }, "/sites_by_held"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    json damaged = doc;
    c.damage(damaged);
    try {
      profile_from_json(damaged, "p.json");
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.file() == "p.json");
      CHECK(e.json_path() == c.path);
    }
  }
}

TEST_CASE("explain: --against ranks the sites that grew most, a new leak first") {
  const HeapProfile before = heaptrack_profile({site("parse(int)", 8, 4'096'000, 4'096'000)});
  const HeapProfile after = heaptrack_profile({site("parse(int)", 8, 4'100'000, 4'100'000),
                                               site("remember(int)", 30, 2'048'000, 2'048'000),
                                               site("scratch()", 40, 9'000, 0)});
  const auto growth = diff_profiles(before, after, "old.json", 10, 0);
  REQUIRE(growth.size() == 3);
  CHECK(growth[0].site.function == "remember(int)");
  CHECK(growth[0].is_new);
  CHECK(growth[0].growth_bytes() == 2'048'000);
  CHECK(growth[1].site.function == "scratch()");
  CHECK(growth[2].site.function == "parse(int)");
  CHECK_FALSE(growth[2].is_new);
  CHECK(growth[2].growth_bytes() == 4'000);
  CHECK(diff_profiles(before, after, "old.json", 1, 0).size() == 1);
  // The same function at another line is another site.
  const HeapProfile moved = heaptrack_profile({site("parse(int)", 9, 4'096'000, 4'096'000)});
  CHECK(diff_profiles(before, moved, "old.json", 10, 0).at(0).is_new);
  // Nothing grew: no row.
  CHECK(diff_profiles(after, before, "old.json", 10, 0).empty());
  // Under the noise floor (64 KiB here, 1% of a peak of 4 MB is less): only the new leak.
  HeapProfile after_peak = after;
  after_peak.peak_bytes = 4'100'000;
  CHECK(growth_floor_bytes(before, after_peak) == 64 * 1024);
  const auto above = diff_profiles(before, after, "old.json", 10, 64 * 1024);
  REQUIRE(above.size() == 1);
  CHECK(above[0].site.function == "remember(int)");
  // The same function from another caller is another site.
  HeapProfile other_caller = before;
  other_caller.sites[0].callers = {{"main", "/src/main.cpp", 3}};
  CHECK(diff_profiles(before, other_caller, "old.json", 10, 0).at(0).is_new);

  HeapProfile python = before;
  python.tool = "tracemalloc";
  try {
    diff_profiles(python, after, "old.json", 10, 0);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.json_path() == "/tool");
    CHECK_THAT(e.what(), Catch::Contains("cannot be compared"));
  }
}

TEST_CASE("explain: the tool for each kind of SUT program") {
  using Kind = SutProgram::Kind;
  struct Case {
    std::vector<std::string> argv;
    SutProgram program;
    ExplainTool tool;
    const char* note;
  };
  const std::vector<Case> cases = {
      {{"/usr/bin/python3", "w.py"},
       {Kind::elf_dynamic, "/usr/bin/python3", ""},
       ExplainTool::tracemalloc,
       ""},
      {{"python3.11", "w.py"},
       {Kind::elf_dynamic, "/usr/bin/python3.11", ""},
       ExplainTool::tracemalloc,
       ""},
      {{"python"}, {Kind::missing, "", ""}, ExplainTool::tracemalloc, ""},
      {{"/usr/bin/env", "A=1", "python3", "w.py"},
       {Kind::elf_dynamic, "/usr/bin/env", ""},
       ExplainTool::tracemalloc,
       ""},
      {{"/usr/bin/env", "-i", "A=1", "python3", "w.py"},  // -i drops memgate's variables
       {Kind::elf_dynamic, "/usr/bin/env", ""},
       ExplainTool::none,
       "env with options"},
      {{"./worker.py"},
       {Kind::script, "/app/worker.py", "/usr/bin/python3"},
       ExplainTool::tracemalloc,
       ""},
      {{"/srv/app"}, {Kind::elf_dynamic, "/srv/app", ""}, ExplainTool::heaptrack, ""},
      {{"/srv/app-static"},
       {Kind::elf_static, "/srv/app-static", ""},
       ExplainTool::none,
       "statically linked"},
      {{"./run.sh"},
       {Kind::script, "/app/run.sh", "/bin/sh"},
       ExplainTool::none,
       "a script run by /bin/sh"},
      {{"/usr/bin/env", "node", "s.js"},
       {Kind::elf_dynamic, "/usr/bin/env", ""},
       ExplainTool::none,
       "neither"},
      {{"/srv/data.txt"}, {Kind::other, "/srv/data.txt", ""}, ExplainTool::none, "neither"},
      {{"nothere"}, {Kind::missing, "", ""}, ExplainTool::none, "was not found"},
  };
  for (const auto& c : cases) {
    INFO(c.argv[0]);
    const ExplainChoice choice = choose_explain_tool(c.argv, c.program);
    CHECK(choice.tool == c.tool);
    if (c.tool == ExplainTool::none) CHECK_THAT(choice.note, Catch::Contains(c.note));
  }
  CHECK(is_python_name("/usr/bin/python3-dbg"));
  CHECK_FALSE(is_python_name("/usr/bin/pythonista-tool"));
  CHECK_FALSE(is_python_name("mypython3"));
}

TEST_CASE("explain: the SUT's environment for each tool keeps what it had") {
  const json source = json::parse(R"({"name": "s", "sut": {"command": ["x"]}})");
  const json h =
      with_heaptrack(source, "/usr/lib/heaptrack/libheaptrack_preload.so", "/opt/{odd}/libfoo.so");
  CHECK(h["sut"]["env"]["LD_PRELOAD"] ==
        "/usr/lib/heaptrack/libheaptrack_preload.so:/opt/{{odd}/libfoo.so");
  CHECK(h["sut"]["env"]["DUMP_HEAPTRACK_OUTPUT"] == "{run_dir}/heaptrack.sut.raw");
  CHECK(h["sut"]["command"] == source["sut"]["command"]);  // the SUT stays the tree's root

  json own = source;
  own["sut"]["env"] = {{"PYTHONPATH", "{scenario_dir}/lib"}, {"X", "1"}};
  const json t = with_tracemalloc(own, "/out/python-hook", "/ignored", 25);
  CHECK(t["sut"]["env"]["PYTHONPATH"] == "/out/python-hook:{scenario_dir}/lib");
  CHECK(t["sut"]["env"]["PYTHONTRACEMALLOC"] == "25");
  CHECK(t["sut"]["env"]["MEMGATE_EXPLAIN_DIR"] == "{run_dir}/tracemalloc");
  CHECK(t["sut"]["env"]["X"] == "1");
  const json inherited = with_tracemalloc(source, "/out/python-hook", "/site", 5);
  CHECK(inherited["sut"]["env"]["PYTHONPATH"] == "/out/python-hook:/site");
  CHECK(with_tracemalloc(source, "/h", "", 5)["sut"]["env"]["PYTHONPATH"] == "/h");
}

TEST_CASE("explain: outputs of a SUT no tool can follow carry the note and no table") {
  ExplainResult r;
  r.profile.tool = "none";
  r.profile.scenario = "static-app";
  r.profile.notes = {"/srv/app is statically linked: <rebuild it>"};
  const std::string md = explain_markdown(r);
  CHECK_THAT(md, Catch::Contains("statically linked"));
  CHECK_THAT(md, !Catch::Contains("| #"));
  const std::string html = explain_html(r);
  CHECK_THAT(html, Catch::Contains("&lt;rebuild it&gt;"));
  CHECK_THAT(html, !Catch::Contains("<table"));
  const auto lines = explain_console_lines(r, 5);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[1], Catch::Contains("note: /srv/app is statically linked"));
  CHECK(explain_json(r)["tool"] == "none");
}

TEST_CASE("explain: tables with their figures, and the growth with --against") {
  ExplainResult r;
  r.profile = heaptrack_profile({site("parse(int)", 8, 4'100'000, 4'100'000)});
  r.comparison = ExplainComparison{
      "old.json", "2026-11-27T00:00:00Z",
      diff_profiles(heaptrack_profile({}), r.profile, "old.json", 5, 0), 64 * 1024};
  const std::string md = explain_markdown(r);
  CHECK_THAT(md, Catch::Contains("| 1 | parse(int) (new) | /src/app.cpp:8 | 0 B | 3.91 MiB |"));
  CHECK_THAT(md, Catch::Contains("## Leaked: never freed before exit"));
  const json doc = explain_json(r);
  CHECK(doc["against"]["growth"][0]["growth_bytes"] == 4'100'000);
  CHECK(doc["against"]["growth"][0]["new"] == true);
  const auto lines = explain_console_lines(r, 5);
  CHECK_THAT(lines.at(2), Catch::Contains("+3.91 MiB  parse(int) (new)  (/src/app.cpp:8"));
}
