#pragma once

// heaptrack_print's text output -> allocation sites. memgate runs
//   heaptrack_print -f FILE --print-peaks 1 --print-leaks 1 --print-allocators 0
//                   --print-temporary 0 --peak-limit N --sub-peak-limit 3
// and reads its "PEAK MEMORY CONSUMERS" and "MEMORY LEAKS" sections and the totals at the end:
//
//   4.10M peak memory consumed over 1000 calls from
//   leak_from_parser(unsigned long)          <- the site: the frame that called the allocator
//     at /src/leak.cpp:8                     <- its source location (absent without debug info)
//     in /build/mg-explain-sut               <- its module
//   4.10M consumed over 1000 calls from:     <- a backtrace that reached it (its share of the
//       main                                    bytes and calls), callers indented; one block
//         at /src/leak.cpp:15                   per backtrace, at most 3 (--sub-peak-limit)
//     and 3.00M from 2 other places          <- the rest, callers not listed
//
// Sizes are heaptrack's (1000-based K, M, G with two decimals; whole bytes below 1000 B).
// Pure: text in, values out; lines it does not know are skipped.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/explain/heap_profile.hpp"

namespace memgate {

// "4.10M" -> 4100000, "72.70K" -> 72700, "512B" -> 512; nullopt for anything else.
std::optional<std::int64_t> parse_heaptrack_bytes(std::string_view text);

// The sites of both sections, merged by key (a site in both gets held and leaked figures), and
// the totals: peak heap, total leaked, calls to allocation functions. tool = "heaptrack",
// held_at = "heap peak". A text without either section gets a note saying so.
// Each backtrace block is a site of its own with its share of the bytes and calls, and with the
// first `depth` frames of the SUT's own code above the allocating one as its callers: blocks
// that share those are merged; heaptrack's remainder is a site whose caller reads "(other
// callers)".
HeapProfile parse_heaptrack_print(const std::string& text, int depth = kDefaultCallerDepth);

}  // namespace memgate
