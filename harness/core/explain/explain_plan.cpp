#include "core/explain/explain_plan.hpp"

#include <fmt/format.h>

#include <optional>
#include <regex>

namespace memgate {

namespace {

std::string basename_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A literal value for a placeholder-expanded string: '{' is written '{{'.
std::string literal(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out += c;
    if (c == '{') out += '{';
  }
  return out;
}

// The program `env [NAME=VALUE]... PROGRAM` runs, or "". nullopt when env has options (-i,
// -u NAME, -S...): they may drop the variables memgate adds, or hide the program.
std::optional<std::string> env_program(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (!argv[i].empty() && argv[i][0] == '-') return std::nullopt;
    if (argv[i].find('=') != std::string::npos) continue;
    return argv[i];
  }
  return "";
}

std::string joined(const std::string& first, const std::string& rest) {
  return rest.empty() ? first : first + ":" + rest;
}

// The profiler writes at the SUT's exit (heaptrack flushes its trace, the Python hook takes a
// snapshot): the SUT gets at least kExplainStopGraceS after its SIGTERM before a SIGKILL.
void longer_grace(nlohmann::json& source) {
  nlohmann::json& grace = source["sut"]["stop_grace_s"];
  if (!grace.is_number() || grace.get<double>() < kExplainStopGraceS) grace = kExplainStopGraceS;
}

nlohmann::json& sut_env(nlohmann::json& source) {
  nlohmann::json& env = source["sut"]["env"];
  if (!env.is_object()) env = nlohmann::json::object();
  return env;
}

}  // namespace

bool is_python_name(std::string_view path) {
  static const std::regex kPython(R"(python(\d+(\.\d+)?)?[a-z]*(-dbg)?)");
  return std::regex_match(basename_of(path), kPython);
}

ExplainChoice choose_explain_tool(const std::vector<std::string>& argv, const SutProgram& p) {
  if (argv.empty()) return {ExplainTool::none, "the SUT has no command"};
  const std::string name = basename_of(argv[0]);
  if (is_python_name(argv[0])) return {ExplainTool::tracemalloc, ""};
  if (name == "env") {
    const auto program = env_program(argv);
    if (!program) {
      return {ExplainTool::none,
              "the SUT runs through env with options (-i, -u, -S ...), which may drop the "
              "environment memgate adds for the profiler: run the program itself as "
              "sut.command and put its variables in sut.env"};
    }
    if (is_python_name(*program)) return {ExplainTool::tracemalloc, ""};
  }
  switch (p.kind) {
    case SutProgram::Kind::elf_dynamic:
      if (name == "env") break;
      return {ExplainTool::heaptrack, ""};
    case SutProgram::Kind::script:
      if (is_python_name(p.interpreter)) return {ExplainTool::tracemalloc, ""};
      return {
          ExplainTool::none,
          fmt::format("{} is a script run by {}: heaptrack would see that interpreter's "
                      "allocations, not the program's. Point sut.command at the program "
                      "itself (--set sut.command.0=PATH), or explain it with the "
                      "interpreter's own memory profiler",
                      p.path, p.interpreter.empty() ? "an unknown interpreter" : p.interpreter)};
    case SutProgram::Kind::elf_static:
      return {ExplainTool::none,
              fmt::format("{} is statically linked: heaptrack preloads itself through the dynamic "
                          "linker, which a static binary does not use. Build the SUT dynamically "
                          "linked (without -static) to explain it",
                          p.path)};
    case SutProgram::Kind::missing:
      return {ExplainTool::none,
              fmt::format("the SUT's program {} was not found (on PATH, from its cwd)", argv[0])};
    case SutProgram::Kind::other:
      break;
  }
  return {ExplainTool::none,
          fmt::format("{} is neither a dynamically linked ELF program (heaptrack) nor Python "
                      "(tracemalloc): memgate cannot follow its allocations. Run the program "
                      "itself as sut.command",
                      name == "env" ? argv[0] + " " + env_program(argv).value_or("")
                    : (p.path.empty() ? argv[0] : p.path))};
}

nlohmann::json with_heaptrack(nlohmann::json source, const std::string& preload_lib,
                              const std::string& inherited_ld_preload) {
  nlohmann::json& env = sut_env(source);
  const std::string own = env.contains("LD_PRELOAD") && env["LD_PRELOAD"].is_string()
                              ? env["LD_PRELOAD"].get<std::string>()
                              : literal(inherited_ld_preload);
  env["LD_PRELOAD"] = joined(literal(preload_lib), own);
  env["DUMP_HEAPTRACK_OUTPUT"] = std::string("{run_dir}/") + kHeaptrackRawFile;
  longer_grace(source);
  return source;
}

nlohmann::json with_tracemalloc(nlohmann::json source, const std::string& hook_dir,
                                const std::string& inherited_pythonpath, int frames) {
  nlohmann::json& env = sut_env(source);
  const std::string own = env.contains("PYTHONPATH") && env["PYTHONPATH"].is_string()
                              ? env["PYTHONPATH"].get<std::string>()
                              : literal(inherited_pythonpath);
  env["PYTHONPATH"] = joined(literal(hook_dir), own);
  env["PYTHONTRACEMALLOC"] = std::to_string(frames);
  env["MEMGATE_EXPLAIN_DIR"] = std::string("{run_dir}/") + kTracemallocDir;
  longer_grace(source);
  return source;
}

}  // namespace memgate
