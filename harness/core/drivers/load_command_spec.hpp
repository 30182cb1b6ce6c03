#pragma once

// The load-command driver's settings (docs/scenarios.md, "The load-command driver"): the team's own
// load generator (wrk, redis-benchmark, an enqueue script) started by memgate for the warm-up and
// the load phase, outside the SUT's tree; what it did is read from its output by a named parser.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace memgate {

// How a load command's output says what it did.
enum class LoadParser {
  none,             // it does not say: no operations, throughput or latency
  wrk,              // wrk's summary ("N requests in", "Latency Distribution" with --latency)
  redis_benchmark,  // redis-benchmark --csv: one row per test
  json_line,        // its last stdout line: {"ops": N, "errors": E, "latency_ms": {...}}
};

// A command that enqueues work for a worker SUT: its work is done when the worker has taken every
// job, i.e. when the Redis lists are empty after the command exited 0.
struct LoadCommandDrain {
  std::string redis_service;  // the service running the Redis
  int port = 0;               // its {port:NAME}
  std::vector<std::string> queue_names;
};

struct LoadCommandDriverSpec {
  // argv; "{ops}" and "{load_s}" are replaced when the command starts (the phase's figures).
  std::vector<std::string> command;
  std::map<std::string, std::string> env;  // added to memgate's environment
  std::string cwd = ".";
  double stop_grace_s = 5;  // SIGTERM, then SIGKILL of its tree after this long
  bool once = false;        // one command for the warm-up and the load (not one per phase)
  LoadParser parser = LoadParser::none;
  // With a parser, how long the command may run past its phase to finish and print what it did.
  double overrun_s = 10;
  std::optional<LoadCommandDrain> drain;
};

// The parser's name as a scenario writes it ("json-line").
const char* load_parser_name(LoadParser parser);

}  // namespace memgate
