#pragma once

// What a gate rule compares the current runs with, and the band of values the noise explains.
//   - Memory: every run of the baseline; the band is their range widened by k·MAD.
//   - Timing (throughput, latency, CPU per operation): the runs of the baseline's sittings of a
//     speed like this host's; with several sittings the band also spans every sitting's median
//     widened by their range (timing moves more between sittings than within one). Against a single
//     sitting the reference is provisional (gate.single_sitting_hard_factor).
//   - A rule with from_history: the summary figures of the last passing checks of the same
//     scenario hash on the same machine class, when there are enough; the band is their range
//     widened by k·MAD, never narrower than the baseline's.
// Pure.

#include <optional>
#include <string>
#include <vector>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"

namespace memgate {

struct Reference {
  MetricSeries series;  // the values compared with (median, tolerance, rank test)
  double low = 0;       // a current median below low or above high is outside the noise
  double high = 0;
  std::string band;          // for people: "the baseline's max + 3 MAD", "the band of 3 sittings"
  bool provisional = false;  // a timing rule against a single sitting
  // The band holds the drift between sittings (or checks): more runs now cannot narrow it, so
  // a change within it passes instead of being "inconclusive".
  bool spans_sittings = false;
  std::string note;  // for the verdict's notes: sittings left out for their speed
};

// The sittings of a speed within max_diff_pct of speed_ms (all when either speed is unknown).
std::vector<const Sitting*> similar_sittings(const std::vector<Sitting>& sittings,
                                             std::optional<double> speed_ms, double max_diff_pct);

// nullopt when neither the baseline nor the history has a value of the rule's metric.
std::optional<Reference> reference_for(const GateRule& rule, const GateInputs& in,
                                       const Baseline& baseline);

}  // namespace memgate
