#pragma once

// The A/B verdict (`memgate ab`): A and B ran alternately on the same machine in the same minutes
// (ABBA...), so each pair saw the same noise: every gated metric is judged from the paired
// differences B - A. A metric regresses when the median difference exceeds the rule's tolerance
// (relative to A's median) and its floor, and a one-sided Wilcoxon signed-rank test says the
// differences lean that way (p <= 0.05; with 5 pairs all five must). "improved" is the same in the
// better direction; a difference beyond the rule that the pairs do not agree on is "inconclusive".
// Wall-clock metrics are judged too: a busy machine slows both sides alike. Budgets apply to B.

#include <map>
#include <string>
#include <vector>

#include "core/gate/gate.hpp"

namespace memgate {

struct PairedInputs {
  const GateSpec* spec = nullptr;
  std::map<std::string, std::vector<double>> a;  // metric -> A's values, in pair order
  std::map<std::string, std::vector<double>> b;  // metric -> B's values, in pair order
};

Verdict evaluate_paired(const PairedInputs& inputs);

}  // namespace memgate
