#include "runtime/explain/explain_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <thread>

#include "core/explain/explain_plan.hpp"
#include "core/explain/heaptrack_text.hpp"
#include "core/explain/tracemalloc_snapshot.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/explain/heaptrack_tools.hpp"
#include "runtime/explain/python_hook.hpp"
#include "runtime/explain/sut_program.hpp"
#include "runtime/run/real_backend.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate {

namespace {

namespace fs = std::filesystem;

// How long the run waits, at the end of the load phase, for a Python process to write its
// "load-end" snapshot (the hook looks for the marker every 50 ms; a big heap takes seconds).
constexpr auto kLoadEndSnapshotWait = std::chrono::seconds(30);

// True once a "load-end.PID.json" is in dir, or false after `wait`.
bool wait_for_load_end_snapshot(const std::string& dir, std::chrono::steady_clock::duration wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("load-end.", 0) == 0 && entry.path().extension() == ".json") return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A snapshot file is small (at most 500 rows); anything larger is not one of ours.
constexpr std::int64_t kMaxSnapshotBytes = 16 * 1024 * 1024;

// The scenario with every placeholder filled by stand-ins: the SUT's argv and cwd as a run
// would see them (but for ports and {run_dir}, which do not name the program).
Scenario stand_in(const Scenario& scenario) {
  std::map<std::string, int> ports;
  for (const auto& name : scenario_port_names(scenario)) ports[name] = 1;
  return instantiate(scenario, {ports, "/nonexistent-run-dir"});
}

std::string sut_cwd(const Scenario& s) {
  const fs::path cwd(s.sut.cwd.empty() ? "." : s.sut.cwd);
  if (cwd.is_absolute()) return cwd.string();
  return (fs::absolute(s.file).parent_path() / cwd).lexically_normal().string();
}

// The folder source paths are given relative to: the nearest one above the scenario file that
// holds .git or memgate.json, else the scenario's own.
std::string project_root(const std::string& scenario_file) {
  const fs::path folder = fs::absolute(scenario_file).lexically_normal().parent_path();
  for (fs::path dir = folder; !dir.empty(); dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::exists(dir / ".git", ec) || fs::exists(dir / "memgate.json", ec)) return dir.string();
    if (dir == dir.root_path()) break;
  }
  return folder.string();
}

HeapProfile heaptrack_profile(const HeaptrackTools& tools, const std::string& run_dir,
                              int peak_limit, int depth, std::string& data_file) {
  const std::string raw = run_dir + "/" + kHeaptrackRawFile;
  std::error_code ec;
  if (!fs::exists(raw, ec) || fs::file_size(raw, ec) == 0) {
    HeapProfile none;
    none.tool = "heaptrack";
    none.held_at = "heap peak";
    none.notes.push_back(
        "heaptrack recorded nothing: the SUT's process did not load heaptrack (it cleared "
        "LD_PRELOAD, or exec'd a static program), or it was killed before its first write. "
        "Check the run's sut.log");
    return none;
  }
  data_file = run_dir + "/heaptrack.sut";
  const std::string text_file = run_dir + "/heaptrack_print.txt";
  interpret_and_print(tools, raw, data_file, text_file, peak_limit);
  fs::remove(raw, ec);  // the raw trace is large; the data file holds everything
  return parse_heaptrack_print(read_text_file(text_file), depth);
}

// A Python source file's module: its name under the packages (folders with an __init__.py)
// above it ("/app/pkg/cache.py" -> "pkg.cache", a package's __init__.py -> the package);
// "<frozen importlib._bootstrap>" -> "importlib._bootstrap"; "" for anything else. A relative
// path is the SUT's working folder's.
std::string python_module_of(const std::string& file, const std::string& cwd) {
  constexpr std::string_view kFrozen = "<frozen ";
  if (file.rfind(kFrozen, 0) == 0 && file.back() == '>') {
    return file.substr(kFrozen.size(), file.size() - kFrozen.size() - 1);
  }
  const fs::path path = (fs::path(cwd) / file).lexically_normal();  // cwd / absolute = absolute
  if (path.extension() != ".py") return "";
  std::string name = path.stem().string();
  fs::path dir = path.parent_path();
  if (name == "__init__") {
    name = dir.filename().string();
    dir = dir.parent_path();
  }
  std::error_code ec;
  while (dir != dir.root_path() && fs::exists(dir / "__init__.py", ec)) {
    name = dir.filename().string() + "." + name;
    dir = dir.parent_path();
  }
  return name;
}

HeapProfile tracemalloc_profile(const std::string& run_dir, const std::string& cwd) {
  std::vector<TracemallocSnapshot> snapshots;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(run_dir) / kTracemallocDir, ec)) {
    if (entry.path().extension() != ".json") continue;
    const std::string path = entry.path().string();
    snapshots.push_back({path, parse_json_text(read_input_file(path, kMaxSnapshotBytes), path)});
  }
  std::sort(snapshots.begin(), snapshots.end(),
            [](const auto& a, const auto& b) { return a.file < b.file; });
  HeapProfile profile = profile_from_snapshots(snapshots);
  for (AllocationSite& site : profile.sites) site.module = python_module_of(site.file, cwd);
  return profile;
}

}  // namespace

ExplainOutcome run_explain(const Scenario& swept, const ExplainSettings& settings) {
  ExplainOutcome outcome;
  // A sweep is explained at its largest value, where a leak is largest (as its figures are).
  std::size_t largest = 0;
  if (swept.sweep) {
    const auto& values = swept.sweep->values;
    largest =
        static_cast<std::size_t>(std::max_element(values.begin(), values.end()) - values.begin());
  }
  const Scenario& scenario = swept.sweep ? *swept.sweep->variants[largest] : swept;
  const Scenario expanded = stand_in(scenario);
  const std::vector<std::string>& argv = expanded.sut.command;
  const SutProgram program =
      inspect_program(argv.empty() ? "" : argv[0], sut_cwd(expanded), settings.path_env);
  const ExplainChoice choice = choose_explain_tool(argv, program);
  HeapProfile& profile = outcome.profile;
  profile.scenario = scenario.name;
  profile.command = scenario.sut.command;
  if (choice.tool == ExplainTool::none) {
    profile.tool = "none";
    profile.notes.push_back(choice.note);
    return outcome;
  }
  if (const std::error_code ec = make_folders(settings.out_dir)) {
    throw RunError(fmt::format("cannot create {}: {}", settings.out_dir, ec.message()),
                   "choose another folder with --out");
  }
  const std::string out_dir = fs::absolute(settings.out_dir).lexically_normal().string();
  Scenario variant = scenario;
  std::optional<HeaptrackTools> heaptrack;
  if (choice.tool == ExplainTool::heaptrack) {
    heaptrack = find_heaptrack(settings.path_env);
    variant.source =
        with_heaptrack(scenario.source, heaptrack->preload_lib, settings.inherited_ld_preload);
  } else {
    const std::string hook_dir = out_dir + "/python-hook";
    write_python_hook(hook_dir);
    variant.source = with_tracemalloc(scenario.source, hook_dir, settings.inherited_pythonpath,
                                      settings.tracemalloc_frames);
  }
  stand_in(variant);  // the environment added must validate like the file did

  const std::string run_dir = out_dir + "/run1";
  RunSettings run;
  run.out_dir = out_dir;
  run.repeat = 1;
  run.measure_speed = false;
  run.early_stop = false;
  run.backend = real_backend;
  bool load_end_written = true;
  run.progress = [&](const ProgressEvent& event) {
    // The end of the load phase, for the Python hook's "load-end" snapshot: the cool-down
    // starts once it is written (a short cool-down would stop the SUT before).
    if (event.kind == ProgressEvent::Kind::phase_start && event.phase == "cooldown" &&
        choice.tool == ExplainTool::tracemalloc) {
      const std::string dir = run_dir + "/" + kTracemallocDir;
      make_folders(dir);
      write_file_atomic(dir + "/" + kLoadEndedFile, "the load phase ended\n", Masking::none);
      load_end_written = wait_for_load_end_snapshot(dir, kLoadEndSnapshotWait);
    }
    if (settings.progress) settings.progress(event);
  };
  outcome.report = run_scenario(variant, run);

  HeapProfile found = heaptrack ? heaptrack_profile(*heaptrack, run_dir, settings.peak_limit,
                                                    settings.caller_depth, outcome.data_file)
                                : tracemalloc_profile(run_dir, sut_cwd(expanded));
  relativize_paths(found, project_root(scenario.file));
  found.scenario = profile.scenario;
  found.command = profile.command;
  profile = std::move(found);
  if (!load_end_written) {
    profile.notes.push_back(
        "no Python process wrote its snapshot within 30 s of the load's end: the SUT was stopped "
        "before it did, or it runs no Python code of its own (a C call that never returns)");
  }
  if (swept.sweep) {
    profile.notes.push_back(fmt::format("the sweep's largest value was explained: {} = {}",
                                        swept.sweep->key, swept.sweep->values[largest]));
  }
  if (!outcome.report->all_valid()) {
    const auto& problems = outcome.report->runs.empty() ? std::vector<std::string>{}
                                                        : outcome.report->runs.back().problems;
    profile.notes.insert(
        profile.notes.begin(),
        fmt::format("the run was not valid ({}): the sites cover it until it stopped",
                    problems.empty() ? "see the run's report" : problems.front()));
  }
  return outcome;
}

}  // namespace memgate
