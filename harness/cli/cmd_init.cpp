// memgate init [--kind command|redis-worker|http|stdin] [--makefile] [--force] [--dir DIR]
// [--action OWNER/REPO@REF]: sets a repository up to use memgate: the project file, a commented
// example scenario and its program, an empty baselines folder, the GitHub workflow; the Makefile
// lines printed, or appended with --makefile. Never overwrites a file without --force (exit 2
// naming the first one, before anything is written).

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "cli/init_templates.hpp"
#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"

namespace memgate::cli {

namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string kind = "command";
  std::string dir = ".";
  // The action's major version tag (v0 for 0.x.y), as the release workflow moves it.
  std::string action =
      "memgate/memgate@v" +
      std::string(MEMGATE_VERSION).substr(0, std::string(MEMGATE_VERSION).find('.'));
  bool makefile = false;
  bool force = false;
};

// The Makefile lines' place: appended to DIR/Makefile, unless it has memgate targets already.
bool makefile_has_targets(const std::string& path) {
  const std::string text = read_text_file(path);
  return text.rfind("memgate:", 0) == 0 || text.find("\nmemgate:") != std::string::npos;
}

void write(const fs::path& path, const std::string& text, bool executable) {
  if (const std::error_code ec = make_folders(path.parent_path().string())) {
    throw RunError(fmt::format("cannot create the folder of {}: {}", path.string(), ec.message()));
  }
  write_file_atomic(path.string(), text, Masking::none);
  if (executable) ::chmod(path.c_str(), 0755);
}

ExitCode run_init(const InitOptions& o) {
  const std::vector<InitFile> files = init_files(o.kind, o.action);
  const fs::path makefile = fs::path(o.dir) / "Makefile";
  // Everything is checked before anything is written: init writes all its files or none.
  if (!o.force) {
    for (const auto& file : files) {
      const fs::path path = fs::path(o.dir) / file.path;
      std::error_code ec;
      if (fs::exists(path, ec)) {
        throw UsageError(
            fmt::format("{} exists: memgate init never overwrites a file", path.string()),
            "move it away, or pass --force to replace the files init writes");
      }
    }
    if (o.makefile && makefile_has_targets(makefile.string())) {
      throw UsageError(fmt::format("{} has a memgate target already", makefile.string()),
                       "leave it, or pass --force to keep it as it is and write the rest");
    }
  }
  for (const auto& file : files) write(fs::path(o.dir) / file.path, file.text, file.executable);
  print("memgate init: a project with an example of kind '{}' in {}\n", o.kind,
        fs::weakly_canonical(fs::absolute(o.dir)).string());
  for (const auto& file : files) print("  wrote {}\n", file.path);
  const std::string lines = init_makefile_lines();
  if (o.makefile && !makefile_has_targets(makefile.string())) {
    std::string text = read_text_file(makefile.string());
    if (!text.empty() && text.back() != '\n') text += '\n';
    write(makefile, text + lines, false);
    print("  appended the memgate and memgate-baselines targets to {}\n", makefile.string());
  } else if (o.makefile) {
    print("  {} has memgate targets already: left as it was\n", makefile.string());
  } else {
    print("\nAdd these lines to your Makefile (or run memgate init --makefile):\n{}", lines);
  }
  const std::string needs = init_needs(o.kind);
  print("\nNext, from this folder:\n");
  if (!needs.empty()) print("  apt-get install {}   # what the example runs\n", needs);
  print("  memgate baseline   # the example's baseline, made on this machine: commit it\n");
  print("  memgate check      # gate it against the baseline (exit 0: pass)\n");
  print(
      "Then point memgate/scenarios/example.json (sut.command) and memgate.json (build, "
      "ab.sut_program) at your own program.\n");
  return ExitCode::ok;
}

}  // namespace

void add_init_command(CLI::App& app, Selected& selected) {
  auto o = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Set a repository up for memgate: project file, example scenario, workflow");
  cmd->add_option("--kind", o->kind, "The example: command (default), redis-worker, http, stdin")
      ->check(CLI::IsMember(init_kinds()));
  cmd->add_option("--dir", o->dir, "The repository's top folder (default: this folder)");
  cmd->add_option("--action", o->action,
                  fmt::format("The GitHub Action the workflow uses (default {})", o->action));
  cmd->add_flag("--makefile", o->makefile, "Append the memgate targets to the Makefile");
  cmd->add_flag("--force", o->force, "Replace the files init writes");
  cmd->callback([&selected, o] { selected = [o] { return run_init(*o); }; });
}

}  // namespace memgate::cli
