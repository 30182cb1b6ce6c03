// memgate ab SCENARIO [--set] --a-set/--b-set/--a-env/--b-env ... [--pairs N] [--out DIR]:
// runs A and B alternately (ABBA...) on this machine and judges B against A from the paired runs
// (see core/gate/paired.hpp), with no stored baseline: "is my branch worse than main?". Exit codes
// and reports as `check`: B's runs are the report's, A's the band and the grey line of each plot.

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/ab_base.hpp"
#include "cli/cli_time.hpp"
#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/output_folders.hpp"
#include "cli/report_output.hpp"
#include "cli/verdict_output.hpp"
#include "core/baseline/baseline.hpp"
#include "core/gate/paired.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/report/json_report.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "runtime/drivers/driver_factory.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/run/scenario_runner.hpp"

namespace memgate::cli {

namespace {

struct AbOptions {
  std::vector<std::string> files;  // none: the project's
  std::vector<std::string> sets;   // both sides' overrides, applied before each side's own
  std::vector<std::string> a_sets, b_sets, a_env, b_env;
  int pairs = 5;
  std::string out;
  std::string base;  // --base REF: A is REF built in a worktree, B the checkout
  std::string project;
  bool allow_remote = false;
  bool quiet = false;
  bool json = false;
};

// --a-env NAME=VALUE: the SUT's environment variable NAME, always a string (a --set would read
// "1.3" as a number).
Override env_override(const std::string& arg, const char* option) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError(fmt::format("{} '{}': expected NAME=VALUE", option, arg),
                     "for example: --b-env MG_WORKER_WORK_MS=1.3");
  }
  Override o;
  std::string name = arg.substr(0, eq);
  for (std::size_t at; (at = name.find('~')) != std::string::npos;) name.replace(at, 1, "~0");
  for (std::size_t at; (at = name.find('/')) != std::string::npos;) name.replace(at, 1, "~1");
  o.key = "/sut/env/" + name;
  o.value = arg.substr(eq + 1);
  o.text = fmt::format("{} {}", option, arg);
  return o;
}

Scenario load_side(const AbOptions& o, const std::string& file, const Workspace& workspace,
                   const std::vector<std::string>& sets, const std::vector<std::string>& env,
                   const char* env_option) {
  LoadOptions load = workspace.load_options(o.allow_remote);
  for (const auto& set : o.sets) load.overrides.push_back(parse_override(set));
  for (const auto& set : sets) load.overrides.push_back(parse_override(set));
  for (const auto& e : env) load.overrides.push_back(env_override(e, env_option));
  Scenario s = load_scenario_file(file, load);
  if (s.sweep) {
    throw InputError(file, "/sweep",
                     "memgate ab compares two configurations at one point, and this scenario "
                     "sweeps " +
                         s.sweep->key,
                     "A/B a copy of the scenario without \"sweep\" (the swept key at one "
                     "value); memory per unit is gated by memgate check");
  }
  check_run_inputs(s);
  return s;
}

// One scenario's sides, A and B, loaded before anything runs.
struct AbPair {
  std::string file;
  Scenario a, b;
  std::vector<std::string> a_sets, b_sets;  // as given to each side
};

// Runs one scenario's pairs into dir and prints its verdict; json_out gets its entry.
ExitCode ab_scenario(const AbOptions& o, const AbPair& pair_of_sides, const std::string& dir,
                     ProgressPrinter& progress, nlohmann::json& json_out) {
  const Scenario& a = pair_of_sides.a;
  const Scenario& b = pair_of_sides.b;
  Report report_a = new_report(a), report_b = new_report(b);
  bool valid = true;
  for (int pair = 1; pair <= o.pairs && valid && !interrupt::requested(); ++pair) {
    // ABBA...: each side runs first half of the time, so a drift of the machine hits both alike.
    const bool a_first = pair % 2 == 1;
    for (const bool side_a : {a_first, !a_first}) {
      const std::string side = side_a ? "a" : "b";
      const std::string side_dir = (std::filesystem::path(dir) / side).string();
      if (const std::error_code ec = make_folders(side_dir)) {
        throw RunError(fmt::format("cannot create {}: {}", side_dir, ec.message()));
      }
      RunSettings settings = run_settings(side_dir, 1, o.quiet, progress,
                                          fmt::format("{} ({})", b.name, side_a ? "A" : "B"));
      settings.first_index = pair;
      settings.measure_speed = false;  // both sides run on this host, minutes apart
      Report one = run_scenario(side_a ? a : b, settings);
      Report& into = side_a ? report_a : report_b;
      for (auto& run : one.runs) into.runs.push_back(std::move(run));
      if (!one.all_valid()) {
        valid = false;
        break;
      }
    }
  }
  for (Report* r : {&report_a, &report_b}) {
    r->summary = summarize(r->runs);
    r->created_at = utc_now_iso8601();
  }
  std::optional<Verdict> verdict;
  if (valid && report_a.all_valid() && report_b.all_valid() && !interrupt::requested()) {
    verdict =
        evaluate_paired({&b.gate, metric_values(report_a.runs), metric_values(report_b.runs)});
    nlohmann::json v = verdict_to_json(*verdict);
    nlohmann::json a_metrics = nlohmann::json::array();
    for (const auto& run : report_a.runs) a_metrics.push_back(metrics_to_json(run.metrics));
    v["ab"] = {{"pairs", report_b.runs.size()},
               {"order", "ABBA"},
               {"overrides", o.sets},
               {"a_overrides", pair_of_sides.a_sets},
               {"b_overrides", pair_of_sides.b_sets},
               {"a_env", o.a_env},
               {"b_env", o.b_env},
               {"a_runs", a_metrics}};
    report_b.verdict = v;
  }
  const Baseline band = make_baseline(report_a, "");
  // The verdict reaches the console whether or not the files can be written.
  std::optional<std::string> html;
  try {
    html = write_reports(report_b, verdict ? &*verdict : nullptr,
                         report_a.all_valid() ? &band : nullptr, dir, &report_a.runs);
  } catch (const RunError& e) {
    print_error(e);
  }
  const std::string title = fmt::format("{} (B against A)", b.name);
  if (html && !o.quiet) print(stderr, "  report {}\n", *html);
  if (!verdict) {
    print_invalid_runs(report_a);
    print_invalid_runs(report_b);
    if (!o.json) print("{}: NO VERDICT: a run was not valid (see above)\n", title);
    json_out.push_back({{"scenario", b.name},
                        {"exit_code", to_int(ExitCode::run_failed)},
                        {"report", dir},
                        {"verdict", {{"status", "invalid"}}}});
    return ExitCode::run_failed;
  }
  const ExitCode code =
      html ? exit_code_for(*verdict) : worst(exit_code_for(*verdict), ExitCode::run_failed);
  json_out.push_back({{"scenario", b.name},
                      {"exit_code", to_int(code)},
                      {"report", dir},
                      {"verdict", report_b.verdict}});
  if (!o.json) print_verdict(title, *verdict, pair_of_sides.file, "");
  return code;
}

ExitCode run_ab(AbOptions o) {
  if (o.pairs < kMinAbPairs) {
    throw UsageError(
        fmt::format("--pairs {}: the signed-rank test cannot reach p <= {:g} with fewer than {} "
                    "pairs, so no regression could ever be found",
                    o.pairs, kRankTestAlpha, kMinAbPairs),
        fmt::format("use --pairs {} or more", kMinAbPairs));
  }
  const Workspace workspace = open_workspace(o.project);
  o.files = workspace.scenario_files(o.files);
  // --base: both sides built here, each side's SUT its own tree's program.
  std::optional<BaseWorktree> base;
  if (!o.base.empty()) {
    if (!workspace.project) {
      throw UsageError(
          "memgate ab --base needs a project file (memgate.json): its build command "
          "and the SUT's program",
          "set the project up with `memgate init`, or give both sides with "
          "--a-set/--b-set");
    }
    base.emplace(*workspace.project, o.base, workspace.reports_root(), o.quiet);
  }
  std::vector<AbPair> pairs;
  for (const auto& file : o.files) {
    AbPair p{file, {}, {}, o.a_sets, o.b_sets};
    if (base) {
      p.a_sets.insert(p.a_sets.begin(), base->a_sets().begin(), base->a_sets().end());
      p.b_sets.insert(p.b_sets.begin(), base->b_sets().begin(), base->b_sets().end());
    }
    p.a = load_side(o, file, workspace, p.a_sets, o.a_env, "--a-env");
    p.b = load_side(o, file, workspace, p.b_sets, o.b_env, "--b-env");
    pairs.push_back(std::move(p));
  }
  // Every report folder is ready before the first run: created, probed and locked.
  FolderLocks locks;
  std::vector<std::string> dirs;
  for (const auto& p : pairs) {
    dirs.push_back(report_dir(o.out, pairs.size(), p.b.name, workspace.reports_root()));
    locks.lock(dirs.back());
  }
  ProgressPrinter progress(stderr_is_terminal());
  nlohmann::json json_out = nlohmann::json::array();
  ExitCode exit = ExitCode::ok;
  for (std::size_t i = 0; i < pairs.size() && !interrupt::requested(); ++i) {
    exit = worst(exit, ab_scenario(o, pairs[i], dirs[i], progress, json_out));
  }
  if (o.json) {
    // One scenario: its object, as before; several: all of them, as check prints them.
    print("{}\n",
          json_out.size() == 1
              ? json_out.front().dump(1)
              : nlohmann::json{{"scenarios", json_out}, {"exit_code", to_int(exit)}}.dump(1));
  }
  return exit;
}

}  // namespace

void add_ab_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<AbOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ab", "Run A and B alternately (ABBA...) and judge B against A from the pairs, no baseline");
  cmd->add_option("scenarios", o->files, "Scenario files (JSON; default: the project's)");
  cmd->add_option("--set", o->sets, "An override of a scenario key for both A and B");
  cmd->add_option("--a-set", o->a_sets, "A's override of a scenario key (as --set of run)");
  cmd->add_option("--b-set", o->b_sets, "B's override of a scenario key");
  cmd->add_option("--a-env", o->a_env, "A's SUT environment variable: NAME=VALUE");
  cmd->add_option("--b-env", o->b_env, "B's SUT environment variable: NAME=VALUE");
  cmd->add_option("--pairs", o->pairs,
                  "Pairs of runs (default 5; 5 is the fewest that can "
                  "show a regression at p <= 0.05)")
      ->check(CLI::Range(1, 50));  // below kMinAbPairs: refused with the reason (run_ab)
  cmd->add_option("--out", o->out,
                  "Report folder (default: REPORTS/<scenario>, REPORTS the project's reports "
                  "folder or reports; several scenarios: OUT/<scenario>)");
  cmd->add_option("--base", o->base,
                  "A is this git ref, built in a worktree beside the checkout (B) with the "
                  "project's build command; each side's SUT is its own tree's program "
                  "(memgate.json: build, ab.sut_program)");
  add_project_option(cmd, o->project);
  cmd->add_flag("--allow-remote", o->allow_remote,
                "Accept load targets that are not loopback addresses");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress or summary on stderr");
  cmd->add_flag("--json", o->json, "The verdict as JSON on stdout (instead of the table)");
  cmd->callback([&selected, o] { selected = [o] { return run_ab(*o); }; });
}

}  // namespace memgate::cli
