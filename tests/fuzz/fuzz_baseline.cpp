// Fuzzes the baseline reader as `memgate check`, `compare` and `baseline` use it: strict JSON
// reading, then baseline_from_json (schema version, types, figures consistent with the values).
//
// Property: every input either loads or throws memgate::Error with a message; any other
// exception escapes and aborts, and ASan/UBSan report memory errors, leaks and undefined
// behaviour. A baseline that loads must survive a round trip: what memgate writes
// (baseline_to_json) must read back, and read back to the same document. What `check`, `compare`
// and `baseline` then do with it must not throw: gating runs against it (also from another
// machine class) and describing what changed since it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/baseline/baseline.hpp"
#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace memgate;
using memgate::fuzz::fail;

const std::string kFile = "baselines/fuzz.json";

void check_round_trip(const Baseline& loaded) {
  const nlohmann::json written = baseline_to_json(loaded);
  // Through text, as write_baseline_file and read_baseline_file do.
  const std::string text = written.dump(1) + "\n";
  try {
    const Baseline again = baseline_from_json(parse_json_text(text, kFile), kFile);
    const nlohmann::json rewritten = baseline_to_json(again);
    if (rewritten != written) {
      fail("a baseline changes when written and read back", text + "\n" + rewritten.dump(1));
    }
  } catch (const Error& e) {
    fail("a baseline memgate wrote does not read back", std::string(e.what()) + "\n" + text);
  }
}

// `memgate check`/`compare` of runs equal to the baseline's values, on this machine class and on
// another one, with a rule on every metric it has and a budget it may break.
void check_gate(const Baseline& baseline) {
  GateSpec spec;
  for (const auto& [metric, series] : baseline.metrics) {
    spec.rules.push_back({metric, 10, 1});
    spec.budgets.push_back({metric, series.median});
  }
  for (const std::string& fingerprint : {baseline.fingerprint, std::string("0123456789abcdef")}) {
    GateInputs in;
    in.spec = &spec;
    in.baseline = &baseline;
    in.scenario_hash = baseline.scenario_hash;
    in.fingerprint = fingerprint;
    for (const auto& [metric, series] : baseline.metrics) in.current[metric] = series.values;
    const Verdict verdict = evaluate_gate(in);
    verdict_to_json(verdict).dump();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = memgate::fuzz::as_text(data, size);
  std::optional<Baseline> loaded;
  try {
    // read_baseline_file() without the file read: the same two calls.
    loaded = baseline_from_json(parse_json_text(text, kFile), kFile);
  } catch (const Error& e) {
    memgate::fuzz::expect_usable(e);
    return 0;
  }
  check_round_trip(*loaded);
  check_gate(*loaded);
  describe_changes(Baseline{}, *loaded);  // `memgate baseline` refreshing an older baseline
  describe_changes(*loaded, *loaded);
  return 0;
}
