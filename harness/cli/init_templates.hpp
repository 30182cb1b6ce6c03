#pragma once

// What `memgate init` writes into a repository, per kind of example: the project file, one
// commented example scenario with the small program it runs, the Makefile lines and the GitHub
// workflow. Built into the program: the installed memgate reads no template file.

#include <string>
#include <vector>

namespace memgate::cli {

struct InitFile {
  std::string path;  // relative to the repository's top
  std::string text;
  bool executable = false;
};

// The kinds of example: command, redis-worker, http, stdin.
const std::vector<std::string>& init_kinds();

// The files of a project set up with an example of `kind` (one of init_kinds()): memgate.json,
// memgate/scenarios/example.json, the example's program under memgate/example/, an empty
// baselines folder (memgate/baselines/.gitkeep) and .github/workflows/memgate.yml using the
// action `action` (owner/repo@ref).
std::vector<InitFile> init_files(const std::string& kind, const std::string& action);

// The Makefile lines: `memgate` and `memgate-baselines` targets.
std::string init_makefile_lines();

// What the example of `kind` needs installed beyond memgate (Debian packages), for the message.
std::string init_needs(const std::string& kind);

}  // namespace memgate::cli
