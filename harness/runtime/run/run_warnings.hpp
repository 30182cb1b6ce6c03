#pragma once

namespace memgate {

// When some process refused to let memgate read and reset its kernel high-water mark.
inline constexpr const char* kHwmIncompleteWarning =
    "kernel high-water marks could not be read and reset for every process (permissions?): the "
    "peak counts the samples and the peaks of processes memgate reaped, so a spike between two "
    "samples may be missed";

}  // namespace memgate
