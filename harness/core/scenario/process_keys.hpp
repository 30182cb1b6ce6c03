#pragma once

// The keys of a process memgate starts (the SUT, a service, a load command): command (argv),
// env and cwd, read the same way wherever they appear.

#include <map>
#include <string>
#include <vector>

#include "core/model/json_reader.hpp"

namespace memgate {

// `command`: a required argv array of 1..4096 strings, the first not empty, none holding NUL.
std::vector<std::string> read_command(ObjectReader& r);

// `env`: names without '=' or NUL, values without NUL (absent: none).
std::map<std::string, std::string> read_env(ObjectReader& r);

// `cwd` resolved against scenario_dir (absent: the scenario's folder).
std::string read_cwd(ObjectReader& r, const std::string& scenario_dir);

}  // namespace memgate
