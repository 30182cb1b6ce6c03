// Fuzzes the scenario loader as `memgate validate` and `memgate run --set` use it: strict JSON
// reading (depth limit, duplicate keys, UTF-8), --set overrides, placeholders, validation of every
// section and the gate rules.
//
// Input: the scenario file's bytes, optionally followed by NUL-separated `--set KEY=VALUE`
// arguments (an argv string never holds a NUL). An odd input length loads with --allow-remote.
//
// Property: every input either loads or throws memgate::Error (InputError, UsageError) with a
// message; any other exception escapes and aborts, and ASan/UBSan report memory errors, leaks and
// undefined behaviour. A scenario that loads must also
//   - instantiate with any real port (validation promised the run will not fail on its JSON),
//   - hash the same whichever port it instantiates with,
//   - have gate rules that survive the trip through report.json (gate_to_json, then
//     gate_from_json as `memgate compare` reads them) unchanged.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/scenario/overrides.hpp"
#include "core/scenario/scenario_loader.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace memgate;
using memgate::fuzz::fail;

const std::string kFile = "scenarios/fuzz.json";

void check_loaded(const Scenario& s) {
  const std::string hash = scenario_hash(s);
  if (hash.size() != 16) fail("scenario_hash is not 16 hex digits", hash);
  const auto names = scenario_port_names(s);
  for (const int port : {1, 1024, 12345, 65535}) {
    RunPlaceholders run_values{{}, "/tmp/memgate-run"};
    int next = port;
    for (const auto& name : names) run_values.ports[name] = next++ > 65535 ? 1 : next - 1;
    try {
      const Scenario run = instantiate(s, run_values);
      if (scenario_hash(run) != hash) fail("the scenario hash depends on the port");
    } catch (const Error& e) {
      fail("a scenario that validated does not instantiate with port " + std::to_string(port),
           e.what());
    }
  }
  const nlohmann::json gate = gate_to_json(s.gate);
  try {
    const GateSpec back = gate_from_json(gate, "report.json", "/gate");
    if (gate_to_json(back) != gate) {
      fail("the gate rules change through report.json",
           gate.dump() + "\n" + gate_to_json(back).dump());
    }
  } catch (const Error& e) {
    fail("the gate rules of a valid scenario do not read back from report.json", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = memgate::fuzz::as_text(data, size);
  const std::size_t end_of_file = input.find('\0');
  const std::string text = input.substr(0, end_of_file);

  LoadOptions options;
  options.context = {"/opt/memgate/bin", size % 2 == 1};
  std::optional<Scenario> loaded;
  try {
    for (std::size_t at = end_of_file; at != std::string::npos;) {
      const std::size_t next = input.find('\0', at + 1);
      options.overrides.push_back(parse_override(input.substr(at + 1, next - at - 1)));
      at = next;
    }
    // load_scenario_file() without the file read: the same two calls.
    loaded = parse_scenario(parse_json_text(text, kFile), kFile, options);
  } catch (const Error& e) {
    memgate::fuzz::expect_usable(e);
    return 0;
  }
  check_loaded(*loaded);  // outside the try: from here on even a memgate::Error is a finding
  return 0;
}
