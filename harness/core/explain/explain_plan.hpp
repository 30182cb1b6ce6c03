#pragma once

// Which tool `memgate explain` watches the SUT with, and the scenario that turns it on. Pure:
// the facts about the SUT's program are read by the runtime (runtime/explain/sut_program.hpp).
//   - a dynamically linked native program: heaptrack, preloaded into the SUT's own process
//     (LD_PRELOAD=libheaptrack_preload.so, DUMP_HEAPTRACK_OUTPUT={run_dir}/heaptrack.sut.raw),
//     so the SUT stays the root of its tree and is stopped exactly as in `memgate run`;
//   - Python (argv[0] python*, `env python3`, or a script whose #! names Python): the standard
//     library's tracemalloc (PYTHONTRACEMALLOC) and memgate's sitecustomize first on
//     PYTHONPATH, which writes snapshots; the program itself is not touched;
//   - anything else (a static binary, another interpreter, a shell script): no tool, a note
//     saying why and what to do.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace memgate {

// What the runtime found at argv[0].
struct SutProgram {
  enum class Kind { missing, elf_dynamic, elf_static, script, other };
  Kind kind = Kind::missing;
  std::string path;         // resolved on PATH, "" when missing
  std::string interpreter;  // a script's #! program (after /usr/bin/env): "/usr/bin/python3"
};

enum class ExplainTool { heaptrack, tracemalloc, none };

struct ExplainChoice {
  ExplainTool tool = ExplainTool::none;
  std::string note;  // tool none: why, and what to do
};

// python, python3, python3.11, python3.11d, python3-dbg ...: the CPython executable's names.
bool is_python_name(std::string_view path);

ExplainChoice choose_explain_tool(const std::vector<std::string>& argv, const SutProgram& program);

// The scenario's JSON with the SUT's environment set for the tool (placeholders are expanded
// later, per run; an inherited value's braces are escaped so they stay literal).
// heaptrack: LD_PRELOAD (preload_lib before the SUT's or memgate's own LD_PRELOAD) and
// DUMP_HEAPTRACK_OUTPUT={run_dir}/heaptrack.sut.raw.
nlohmann::json with_heaptrack(nlohmann::json source, const std::string& preload_lib,
                              const std::string& inherited_ld_preload);
// tracemalloc: PYTHONTRACEMALLOC=frames, PYTHONPATH=hook_dir before the SUT's (or memgate's
// own) PYTHONPATH, MEMGATE_EXPLAIN_DIR={run_dir}/tracemalloc (where the snapshots go and where
// memgate puts the "load-ended" file).
nlohmann::json with_tracemalloc(nlohmann::json source, const std::string& hook_dir,
                                const std::string& inherited_pythonpath, int frames);

// Both also give the SUT at least this long between SIGTERM and SIGKILL (sut.stop_grace_s): the
// profiler writes at exit.
constexpr double kExplainStopGraceS = 30;

// Where the tools write, inside a run's folder.
constexpr const char* kHeaptrackRawFile = "heaptrack.sut.raw";
constexpr const char* kTracemallocDir = "tracemalloc";
// Created by memgate in {run_dir}/tracemalloc when the load phase ends; the sitecustomize's
// watcher thread sees it and takes the "load-end" snapshot.
constexpr const char* kLoadEndedFile = "load-ended";

}  // namespace memgate
