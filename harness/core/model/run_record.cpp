#include "core/model/run_record.hpp"

#include <algorithm>

namespace memgate {

std::optional<double> largest_sweep_value(const std::vector<RunRecord>& runs) {
  std::optional<double> largest;
  for (const auto& r : runs) {
    if (r.sweep_value) largest = std::max(largest.value_or(*r.sweep_value), *r.sweep_value);
  }
  return largest;
}

bool stands_for_scenario(const RunRecord& run, const std::vector<RunRecord>& runs) {
  const auto largest = largest_sweep_value(runs);
  return !largest || run.sweep_value == largest;
}

}  // namespace memgate
