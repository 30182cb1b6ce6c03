#include "core/project/project.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/model/text_file.hpp"
#include "core/scenario/overrides.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxProjectFileBytes = 1024 * 1024;

// The gate's settings a scenario with a gate of its own takes from the defaults.
constexpr const char* kGateSettings[] = {"noise_mad_k", "max_reruns", "max_contention_pct",
                                         "max_speed_diff_pct", "single_sitting_hard_factor"};

// A path of the project: relative to its folder, or absolute; never empty.
std::string project_path(ObjectReader& r, std::string_view key, const std::string& root,
                         const std::string& fallback) {
  const std::string text = r.opt_string(key).value_or(fallback);
  if (text.empty()) r.fail(key, "expected a path, got an empty string");
  const fs::path p(text);
  return (p.is_absolute() ? p : fs::path(root) / p).lexically_normal().string();
}

std::vector<std::string> read_globs(ObjectReader& r) {
  auto globs = r.opt_string_array("scenarios", 1, 1000);
  if (!globs) {
    r.fail("scenarios", "required key 'scenarios' is missing (the scenario files, as globs)",
           R"(for example "scenarios": ["memgate/scenarios/*.json"])");
  }
  for (std::size_t i = 0; i < globs->size(); ++i) {
    const std::string& g = (*globs)[i];
    if (g.empty() || fs::path(g).is_absolute() || g.find("..") != std::string::npos) {
      throw InputError(r.file(), fmt::format("/scenarios/{}", i),
                       fmt::format("'{}' is not a pattern inside the project", g),
                       "a path relative to memgate.json's folder, * and ? allowed: "
                       "memgate/scenarios/*.json");
    }
  }
  return std::move(*globs);
}

// defaults: "watch" and "gate" in their scenario form (a gate's rules are checked for their
// form here; whether a scenario can measure them, when the scenario loads).
json read_defaults(ObjectReader& r) {
  auto defaults = r.opt_object("defaults");
  if (!defaults) return json::object();
  json out = json::object();
  if (auto watch = defaults->opt_object("watch")) {
    scenario_parts::parse_watch(watch);
    out["watch"] = *defaults->opt_raw("watch");
  }
  if (auto gate = defaults->opt_object("gate")) {
    scenario_parts::GateContext form_only;
    form_only.sweep = true;  // per_unit rules: their form
    scenario_parts::parse_gate(gate, form_only);
    out["gate"] = *defaults->opt_raw("gate");
  }
  defaults->reject_unknown_keys();
  return out;
}

ProjectAb read_ab(ObjectReader& r) {
  ProjectAb ab;
  auto section = r.opt_object("ab");
  if (!section) return ab;
  ab.base = section->opt_string("base").value_or(ab.base);
  if (ab.base.empty() || ab.base.front() == '-') {
    section->fail("base", fmt::format("'{}' is not a git ref", ab.base), "for example origin/main");
  }
  if (const auto programs = section->opt_string_map("sut_program")) {
    for (const auto& [key, path] : *programs) {
      const std::string at = json_pointer_child(section->child_path("sut_program"), key);
      try {
        parse_override(key + "=x");
      } catch (const UsageError&) {
        throw InputError(r.file(), at, fmt::format("'{}' is not a scenario key", key),
                         "a key as --set names it: sut.command.0");
      }
      if (path.empty()) throw InputError(r.file(), at, "expected a path, got an empty string");
      ab.sut_program.emplace_back(key, path);
    }
  }
  section->reject_unknown_keys();
  return ab;
}

}  // namespace

Project parse_project(const json& source, const std::string& file) {
  ObjectReader r(source, "", file);
  Project p;
  p.file = file;
  p.root = fs::path(file).parent_path().string();
  r.opt_string("$schema");
  p.scenarios = read_globs(r);
  p.baselines = project_path(r, "baselines", p.root, "memgate/baselines");
  p.reports = project_path(r, "reports", p.root, "memgate/reports");
  p.history = project_path(r, "history", p.root,
                           (fs::path(p.reports) / "history.jsonl").lexically_relative(p.root));
  p.defaults = read_defaults(r);
  p.build = r.opt_string_array("build", 1, 4096).value_or(std::vector<std::string>{});
  if (!p.build.empty() && p.build.front().empty()) {
    throw InputError(file, "/build/0", "the program name is empty");
  }
  p.ab = read_ab(r);
  r.reject_unknown_keys();
  return p;
}

Project load_project_file(const std::string& path) {
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  const std::string text = read_input_file(absolute, kMaxProjectFileBytes);
  return parse_project(parse_json_text(text, absolute), absolute);
}

std::optional<std::string> find_project_file(const std::string& start_dir) {
  std::error_code ec;
  fs::path dir = fs::absolute(start_dir, ec).lexically_normal();
  if (ec) return std::nullopt;
  while (true) {
    const fs::path candidate = dir / kProjectFileName;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    // The top of the repository: a project file above it is another project's.
    if (fs::exists(dir / ".git", ec) || !dir.has_relative_path()) return std::nullopt;
    dir = dir.parent_path();
  }
}

std::vector<std::string> apply_project_defaults(json& scenario, const json& defaults) {
  std::vector<std::string> set;
  if (!scenario.is_object()) return set;
  if (const auto watch = defaults.find("watch"); watch != defaults.end()) {
    const json own = scenario.value("watch", json::object());
    if (own.is_object()) {
      for (const auto& [key, value] : watch->items()) {
        if (own.contains(key)) continue;
        scenario["watch"][key] = value;
        set.push_back(json_pointer_child("/watch", key));
      }
    }
  }
  if (const auto gate = defaults.find("gate"); gate != defaults.end()) {
    if (!scenario.contains("gate")) {
      scenario["gate"] = *gate;
      set.emplace_back("/gate");
    } else if (scenario["gate"].is_object()) {
      for (const char* key : kGateSettings) {
        if (!gate->contains(key) || scenario["gate"].contains(key)) continue;
        scenario["gate"][key] = (*gate)[key];
        set.push_back(json_pointer_child("/gate", key));
      }
    }
  }
  return set;
}

}  // namespace memgate
