#pragma once

#include <string>

#include "core/scenario/scenario.hpp"

namespace memgate {

// The first line the SUT's program prints for `--version`, run the way the SUT runs (its env
// and cwd), within 5 s. Empty when it cannot be read: no such option, a non-zero exit, no
// output, a timeout. Baselines record it; it never fails a run.
std::string read_sut_version(const SutSpec& sut);

}  // namespace memgate
