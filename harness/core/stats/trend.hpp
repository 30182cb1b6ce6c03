#pragma once

// Changes in a metric across many checks (reports/history.jsonl), which no single comparison
// with a baseline sees: a step (the metric moved and stayed) and a creep (a slow drift over the
// whole history). Pure.

#include <cstddef>
#include <optional>
#include <vector>

namespace memgate::stats {

struct StepChange {
  std::size_t index = 0;  // first value after the step
  double before = 0;      // median of the window before
  double after = 0;       // median of the window after
  double change_pct = 0;  // (after - before) / |before| * 100
};

// Steps: at index i, the medians of the `window` values before and after i differ by more than
// min_change_pct and by more than noise_k times the larger of the two windows' MADs, and every
// value after lies beyond every value before (a clean shift). Overlapping candidates keep the
// largest. Needs at least 2 * window values.
std::vector<StepChange> find_steps(const std::vector<double>& values, std::size_t window = 4,
                                   double min_change_pct = 5, double noise_k = 3);

struct Drift {
  double total_change_pct = 0;  // Theil–Sen slope over the history x its length, vs the start
  double slope_per_entry = 0;
  bool significant = false;     // beyond min_change_pct, and the first and last quarters differ
};

// The overall drift; empty with fewer than 8 values.
std::optional<Drift> find_drift(const std::vector<double>& values, double min_change_pct = 5);

}  // namespace memgate::stats
