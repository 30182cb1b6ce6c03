#pragma once

// A validated scenario: how to start the SUT, what to watch, the phases, the load and the gate.
// Values here are already checked (types, ranges, required keys, no unknown keys); the runtime
// never re-validates them. Durations are in seconds (suffix _s) or ms (_ms) as named.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace memgate {

struct ReadyTcp {
  std::string host;  // a loopback address
  int port = 0;
};
struct ReadyLog {
  std::string text;  // a line of the SUT's stdout/stderr containing this text means ready
};
struct ReadyDelay {
  int delay_ms = 0;
};
struct ReadyProbe {
  std::variant<ReadyTcp, ReadyLog, ReadyDelay> how;
  double timeout_s = 10;
};

struct SutSpec {
  std::vector<std::string> command;  // argv; argv[0] without '/' is looked up on PATH
  std::map<std::string, std::string> env;  // added to memgate's environment
  std::string cwd = ".";
  std::optional<ReadyProbe> ready;  // absent: ready as soon as it started
  double stop_grace_s = 5;          // SIGTERM, then SIGKILL after this long
};

enum class MemoryKind { rss, pss };

struct WatchSpec {
  int interval_ms = 50;
  MemoryKind memory = MemoryKind::rss;
};

struct PhasesSpec {
  double idle_s = 0;
  double warmup_s = 0;
  std::optional<double> load_s;          // load for this long, or
  std::optional<std::int64_t> load_ops;  // load until this many operations completed
  double load_timeout_s = 600;           // the bound of a load_ops load, or of a command's life
  double cooldown_s = 0;
};

struct RedisQueueDriverSpec {
  std::string host = "127.0.0.1";
  int port = 6379;
  int queues = 1;
  int producers = 1;
  int consumers = 1;
  int pipeline = 1;
  int payload_bytes = 512;
  double rate_per_s = 0;           // producers' total rate; 0: closed model (as fast as answered)
  double consumer_rate_per_s = 0;  // consumers' total rate; defaults to rate_per_s
  std::string pop = "brpop";       // brpop | rpop
  std::string password_env;        // environment variable holding the password; empty: no AUTH
  std::string key_prefix = "memgate:queue:";
};

struct TextFileSource {
  std::string path;  // resolved against the scenario file's folder
};
struct TextGenerateSource {
  std::int64_t count = 1000;
  int min_words = 1;
  int max_words = 32;
  std::uint64_t seed = 1;
};

struct TextBatchDriverSpec {
  std::string transport = "http";  // http | stdin
  std::string url;                 // http only: POST {"texts": [...]}
  int batch_size = 16;
  int concurrency = 1;
  double rate_per_s = 0;  // batches per second, all connections together; 0: closed model
  double request_timeout_s = 30;
  std::variant<TextFileSource, TextGenerateSource> texts;
};

struct CommandDriverSpec {};

using DriverSpec = std::variant<RedisQueueDriverSpec, TextBatchDriverSpec, CommandDriverSpec>;

std::string driver_type(const DriverSpec& driver);

struct GateRule {
  std::string metric;
  std::optional<double> max_change_pct;  // relative tolerance, in the metric's worse direction
  std::optional<double> min_change;      // absolute floor, in the metric's unit
};

struct GateBudget {
  std::string metric;
  double limit = 0;  // lower-is-better metrics must stay <= limit; higher-is-better >= limit
};

struct GateSpec {
  std::vector<GateRule> rules;
  std::vector<GateBudget> budgets;
  double noise_mad_k = 3;  // a change must leave the baseline's range widened by k·MAD
  int max_reruns = 2;      // reruns when a result is too close to call
};

// What a scenario's meaning depends on besides its JSON.
struct ScenarioContext {
  std::string bindir;         // value of {bindir}
  bool allow_remote = false;  // the user allowed load targets that are not loopback
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // where it was loaded from ("" when built in memory)
  SutSpec sut;
  WatchSpec watch;
  PhasesSpec phases;
  DriverSpec driver;
  int repeat = 1;
  std::int64_t max_errors = 0;
  GateSpec gate;
  // The scenario's JSON after --set overrides, before placeholders are expanded: what
  // instantiate() expands and what the hash covers.
  nlohmann::json source;
  ScenarioContext context;
};

}  // namespace memgate
