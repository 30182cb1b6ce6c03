#pragma once

// Runs a command to completion under the watcher, as `mprof run` does: the command's whole life
// is the load phase (after an optional warm-up). Used by `memgate watch` and by scenarios whose
// driver is `command`.

#include <optional>

#include "core/model/run_record.hpp"
#include "runtime/process/reaper.hpp"
#include "runtime/process/sut_process.hpp"
#include "runtime/watch/watcher.hpp"

namespace memgate {

struct CommandRunOptions {
  LaunchSpec launch;
  WatchOptions watch;
  double warmup_s = 0;
  double timeout_s = 0;  // 0: no limit
  double stop_grace_s = 5;
};

struct CommandRunResult {
  RunRecord run;  // phases, samples, metrics; invalid when the command failed or was stopped
  std::optional<ExitInfo> exit;  // how the command ended (empty when memgate had to stop it...)
  bool interrupted = false;
  bool timed_out = false;
};

// Throws RunError when the command cannot be started.
CommandRunResult run_command(const CommandRunOptions& options);

}  // namespace memgate
