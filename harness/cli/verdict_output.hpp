#pragma once

// Printing a verdict for people, and combining exit codes over several scenarios.

#include <string>

#include "core/gate/gate.hpp"
#include "core/model/exit_code.hpp"

namespace memgate::cli {

// The headline, the table of checks, the notes (stdout), and for a missing or stale baseline
// the command that creates one.
void print_verdict(const std::string& scenario, const Verdict& verdict,
                   const std::string& scenario_file, const std::string& baselines_dir);

// baselines/<scenario>.json
std::string baseline_path(const std::string& baselines_dir, const std::string& scenario);

}  // namespace memgate::cli
