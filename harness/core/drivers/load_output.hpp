#pragma once

// What a load command did, read from its standard output by the parser its scenario names
// (core/drivers/load_command_spec.hpp). Pure: the lines and argv in, figures or a problem out;
// tested on captured outputs of the real tools.
//   wrk              "N requests in Xs": ops = N less the "Non-2xx or 3xx responses"; errors =
//                    those responses plus the "Socket errors"; with --latency, p50 and p99 from
//                    its "Latency Distribution" and max from its "Thread Stats" (wrk prints no
//                    95th percentile).
//   redis-benchmark  --csv rows: ops = the "-n" requests (default 100000) per row, errors 0
//                    (it counts none); latency (p50, p95, p99, max) when there is one row.
//   json-line        the last non-empty line: {"ops": N, "errors": E, "latency_ms": {"p50": ..,
//                    "p99": .., "p95": .., "max": ..}} (errors, p95 and max optional).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/drivers/load_command_spec.hpp"
#include "core/model/run_record.hpp"

namespace memgate {

struct LoadOutput {
  std::int64_t ops = 0;     // completed operations
  std::int64_t errors = 0;  // failed operations
  std::optional<LatencySummary> latency;
  nlohmann::json details = nlohmann::json::object();  // the parser's own figures
};

// The figures, or a problem that names the parser and quotes the last line.
std::variant<LoadOutput, std::string> read_load_output(LoadParser parser,
                                                       const std::vector<std::string>& argv,
                                                       const std::vector<std::string>& lines);

// A wrk duration ("41.00us", "1.87ms", "2.00s", "1.50m", "1.00h") in ms; nullopt otherwise.
std::optional<double> parse_wrk_duration_ms(const std::string& text);

}  // namespace memgate
