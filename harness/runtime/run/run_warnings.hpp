#pragma once

#include <fmt/format.h>

#include <string>

#include "core/model/run_record.hpp"

namespace memgate {

// When some process refused to let memgate read and reset its kernel high-water mark.
inline constexpr const char* kHwmIncompleteWarning =
    "kernel high-water marks could not be read and reset for every process (permissions?): the "
    "peak counts the samples and the peaks of processes memgate reaped, so a spike between two "
    "samples may be missed";

// When `killed` processes of a role outlasted the stop's grace and needed SIGKILL.
inline std::string killed_warning(const std::string& role, int killed, double grace_s) {
  return fmt::format("{} process(es) of {} did not end within {} s of being told to stop "
                     "(stop_grace_s) and were killed (SIGKILL)", killed, who(role), grace_s);
}

}  // namespace memgate
