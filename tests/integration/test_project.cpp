// memgate in a team's repository: `memgate init`, the project file (memgate.json) that every
// command finds from any folder of the repository, its defaults, and `memgate ab --base` judging a
// pull request's build against the base commit's, both built on this machine.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

using namespace memgate;
using namespace memgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A git repository in a temporary folder, with a committer.
struct Repo {
  TempDir dir;
  Repo() {
    git({"init", "-q", "-b", "main"});
    git({"config", "user.email", "test@localhost"});
    git({"config", "user.name", "memgate test"});
  }
  std::string path() const { return dir.path(); }
  void git(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"git", "-C", dir.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_program(argv, 60);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  void commit_all(const std::string& message) const {
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
  }
};

}  // namespace

TEST_CASE(
    "init: a command example that passes baseline and check at once and a second init "
    "that is exit 2 naming the file") {
  require_tool("git", "git");
  Repo repo;
  const auto init = run_memgate({"init"}, 60, {}, repo.path());
  INFO(init.output);
  REQUIRE(init.exit_code == 0);
  for (const char* file :
       {"memgate.json", "memgate/scenarios/example.json", "memgate/example/job.sh",
        "memgate/baselines/.gitkeep", ".github/workflows/memgate.yml"}) {
    INFO(file);
    CHECK(fs::exists(repo.dir.file(file)));
  }
  struct stat st {};
  REQUIRE(::stat(repo.dir.file("memgate/example/job.sh").c_str(), &st) == 0);
  CHECK((st.st_mode & 0111) != 0);
  CHECK_THAT(init.output, Catch::Contains("memgate:\n\tmemgate check"));  // the Makefile lines
  const std::string project = slurp(repo.dir.file("memgate.json"));

  const auto again = run_memgate({"init", "--kind", "stdin"}, 60, {}, repo.path());
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.output,
             Catch::Contains("memgate.json exists") && Catch::Contains("never overwrites"));
  CHECK(slurp(repo.dir.file("memgate.json")) == project);  // nothing written
  CHECK_FALSE(fs::exists(repo.dir.file("memgate/example/filter.sh")));

  // From a subfolder: the project is found above, its folders are relative to it.
  fs::create_directories(repo.dir.file("src/deep"));
  const std::string deep = repo.dir.file("src/deep");
  const auto made = run_memgate({"baseline", "--quiet"}, 120, {}, deep);
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  CHECK(fs::exists(repo.dir.file("memgate/baselines/example.json")));
  const auto checked = run_memgate({"check", "--quiet"}, 120, {}, deep);
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.output, Catch::Contains("example: PASS"));
  CHECK(fs::exists(repo.dir.file("memgate/reports/example/report.json")));
  CHECK(fs::exists(repo.dir.file("memgate/reports/history.jsonl")));
  CHECK_FALSE(fs::exists(deep + "/reports"));
  const auto where = run_memgate({"project", "--get", "reports"}, 30, {}, deep);
  CHECK(where.exit_code == 0);
  CHECK_THAT(where.output, Catch::Contains(repo.dir.file("memgate/reports")));

  // --makefile appends the targets once, and init --force rewrites what init wrote.
  repo.dir.write("Makefile", "all:\n\ttrue\n");
  const auto forced = run_memgate({"init", "--force", "--makefile"}, 60, {}, repo.path());
  CHECK(forced.exit_code == 0);
  const std::string makefile = slurp(repo.dir.file("Makefile"));
  CHECK_THAT(makefile, Catch::StartsWith("all:\n\ttrue\n") &&
                           Catch::Contains("memgate-baselines:\n\tmemgate baseline"));
  const auto twice = run_memgate({"init", "--force", "--makefile"}, 60, {}, repo.path());
  CHECK(twice.exit_code == 0);
  CHECK(slurp(repo.dir.file("Makefile")) == makefile);
}

TEST_CASE("project file: scenarios and folders and defaults, bad files named with the JSON path") {
  require_tool("git", "git");
  Repo repo;
  fs::create_directories(repo.dir.file("gate/scenarios"));
  json s = json::parse(R"({"name": "job", "sut": {"command": ["SUT", "--alloc-mib", "8"]},
                           "phases": {"load_timeout_s": 30}, "driver": {"type": "command"}})");
  s["sut"]["command"][0] = test_sut();
  repo.dir.write("gate/scenarios/job.json", s.dump());
  repo.dir.write("gate/scenarios/scenario.schema.json", "{}");  // beside them: left out
  repo.dir.write("memgate.json", R"({
    "scenarios": ["gate/scenarios/*.json"], "baselines": "gate/baselines", "reports": "out",
    "defaults": {"watch": {"interval_ms": 7},
                 "gate": {"peak_bytes": {"max_increase_pct": 50, "min_increase_bytes": 1000000}}}
  })");
  const auto validated = run_memgate({"validate"}, 30, {}, repo.path());
  INFO(validated.output);
  CHECK(validated.exit_code == 0);
  CHECK_THAT(validated.output,
             Catch::Contains("gate/scenarios/job.json") && !Catch::Contains("schema.json"));
  const auto ran = run_memgate({"run", "--quiet"}, 60, {}, repo.path());
  INFO(ran.output);
  REQUIRE(ran.exit_code == 0);
  const json report = json::parse(slurp(repo.dir.file("out/job/report.json")));
  CHECK(report["runs"][0]["watch"]["interval_ms"] == 7);          // the project's default
  CHECK(report["gate"]["peak_bytes"]["max_increase_pct"] == 50);  // the project's gate
  CHECK_FALSE(report["gate"].contains("plateau_bytes"));
  // A scenario's own watch wins over the defaults.
  s["watch"] = {{"interval_ms", 9}};
  repo.dir.write("gate/scenarios/job.json", s.dump());
  REQUIRE(run_memgate({"run", "--quiet"}, 60, {}, repo.path()).exit_code == 0);
  CHECK(json::parse(
            slurp(repo.dir.file("out/job/report.json")))["runs"][0]["watch"]["interval_ms"] == 9);

  // A default the scenario cannot measure names the project file.
  repo.dir.write("memgate.json", R"({"scenarios": ["gate/scenarios/*.json"],
    "defaults": {"gate": {"throughput_per_s": {"max_decrease_pct": 10}}}})");
  const auto cannot = run_memgate({"validate"}, 30, {}, repo.path());
  CHECK(cannot.exit_code == 2);
  CHECK_THAT(cannot.output,
             Catch::Contains("/gate/throughput_per_s") &&
                 Catch::Contains("from the defaults of " + repo.dir.file("memgate.json")));
  // Bad project files.
  for (const auto& [text, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"scenario": ["x.json"]})", "/scenario"},
           {R"({"scenarios": ["../x/*.json"]})", "/scenarios/0"},
           {R"({"scenarios": ["none/*.json"]})", "/scenarios/0"},
           {R"({"scenarios": ["gate/scenarios/*.json"], "defaults": {"watch": {"interval": 5}}})",
            "/defaults/watch/interval"},
           {R"({"scenarios": ["gate/scenarios/*.json"], "ab": {"sut_program": {"": "x"}}})",
            "/ab/sut_program/"}}) {
    INFO(text);
    repo.dir.write("memgate.json", text);
    const auto bad = run_memgate({"validate"}, 30, {}, repo.path());
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.output, Catch::Contains(repo.dir.file("memgate.json") + ": " + path));
  }
  // --project names another file; without any, the arguments are needed.
  TempDir outside;  // under /tmp: no memgate.json there or above
  const auto none = run_memgate({"check"}, 30, {}, outside.path());
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Catch::Contains("no memgate.json") && Catch::Contains("memgate init"));
}

TEST_CASE("ab --base: the base commit and the checkout built side by side, B judged against A") {
  require_tool("git", "git");
  Repo repo;
  // The SUT is the repository's own program: the base touches 16 MiB, the change 96 MiB.
  repo.dir.write("job.sh", "#!/bin/sh\nexec " + test_sut() + " --alloc-mib 16\n");
  ::chmod(repo.dir.file("job.sh").c_str(), 0755);
  fs::create_directories(repo.dir.file("gate"));
  repo.dir.write("gate/job.json", R"({"name": "job", "sut": {"command": ["PROGRAM"]},
      "phases": {"load_timeout_s": 30}, "driver": {"type": "command"}, "watch": {"interval_ms": 10},
      "gate": {"peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304}}})");
  repo.dir.write("memgate.json", R"({"scenarios": ["gate/*.json"],
      "build": ["cp", "job.sh", "built-job.sh"],
      "ab": {"sut_program": {"sut.command.0": "built-job.sh"}}})");
  repo.dir.write(".gitignore", "built-job.sh\nmemgate/\n");
  repo.commit_all("base");
  repo.git({"checkout", "-q", "-b", "change"});
  repo.dir.write("job.sh", "#!/bin/sh\nexec " + test_sut() + " --alloc-mib 96\n");
  repo.commit_all("a change that needs more memory");

  const auto r = run_memgate({"ab", "--base", "main", "--quiet"}, 170, {}, repo.path());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("job (B against A): REGRESSED: peak_bytes"));
  // Both sides were built, in their own trees, and A's tree is gone again.
  CHECK(fs::exists(repo.dir.file("memgate/reports/ab-build-a.log")));
  CHECK(fs::exists(repo.dir.file("built-job.sh")));
  const json report = json::parse(slurp(repo.dir.file("memgate/reports/job/report.json")));
  const std::string a_program = report["verdict"]["ab"]["a_overrides"][0];
  CHECK_THAT(a_program, Catch::Contains("built-job.sh") && !Catch::Contains(repo.path() + "/"));
  CHECK_FALSE(
      fs::exists(json::parse(a_program.substr(a_program.find('=') + 1)).get<std::string>()));
  const auto worktrees = run_program({"git", "-C", repo.path(), "worktree", "list"}, 30);
  CHECK(worktrees.output.find('\n') == worktrees.output.size() - 1);  // one line: the checkout

  // A ref that is no commit is exit 2 before anything runs.
  const auto bad = run_memgate({"ab", "--base", "no-such-branch"}, 60, {}, repo.path());
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("not a commit"));
}
