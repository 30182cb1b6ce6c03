#pragma once

// The memory-over-time plot of one run, as inline SVG: phases shaded, the SUT tree's memory as a
// line, each service's as a line of its own, a server's own figure (Redis used_memory) where one
// was sampled, the SUT's peak marked,
// idle/plateau/residual drawn as levels over their phases, and the baseline's plateau band when
// there is a baseline. Long series are reduced to the min and max of each pixel column, so
// spikes stay visible.

#include "core/baseline/baseline.hpp"
#include "core/model/run_record.hpp"
#include "core/report/xml_writer.hpp"

namespace memgate {

// reference: a run to draw beside this one (A's run of the pair, for memgate ab), or null.
void write_memory_plot(XmlWriter& xml, const RunRecord& run, const Baseline* baseline,
                       const RunRecord* reference = nullptr);

// 1, 2, 5 x 10^k: a round step giving about `ticks` ticks over [0, max] (max > 0).
double nice_step(double max, int ticks);
// The same in bytes, at round numbers of the unit the axis shows (MiB, not millions of bytes).
double bytes_tick_step(double max_bytes, int ticks);

// (t_ms, bytes) reduced to at most 2 * columns points (min and max per column, in time order).
Series reduce_for_plot(const Series& series, std::size_t columns);

}  // namespace memgate
