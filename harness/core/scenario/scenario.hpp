#pragma once

// A validated scenario: how to start the SUT and the services it depends on, what to watch, the
// phases, the load and the gate. Values here are already checked (types, ranges, required keys,
// no unknown keys); the runtime never re-validates them. Durations are in seconds (suffix _s) or
// ms (_ms) as named.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/drivers/driver_spec.hpp"

namespace memgate {

struct ReadyTcp {
  std::string host;  // a loopback address
  int port = 0;
};
struct ReadyLog {
  std::string text;  // a line of the process's stdout/stderr containing this text means ready
};
struct ReadyDelay {
  int delay_ms = 0;
};
// {"stdin": true}: a process of the tree waits in read() on the stdin memgate writes to, so it
// has started up and takes texts. The default of a stdin text-batch SUT without `ready`.
struct ReadyStdin {};
struct ReadyProbe {
  std::variant<ReadyTcp, ReadyLog, ReadyDelay, ReadyStdin> how;
  double timeout_s = 10;
  // memgate's default, not the scenario's: when it cannot tell, the run goes on with a warning.
  bool implicit = false;
};

// The marker memgate leaves in each run folder it creates (only such folders are ever removed
// when a report folder is reused); no `files` destination may take its name.
inline constexpr const char* kRunDirMarker = ".memgate-run";

// A file written into the run's folder before a process starts, from a template whose
// placeholders ({port:NAME}, {run_dir}, ...) are replaced: for programs that read their port
// from a configuration file.
struct FileTemplate {
  std::string destination;    // relative to {run_dir}
  std::string template_path;  // resolved against the scenario file's folder
  std::string text;           // the template's text, placeholders replaced for this run
};

// The SUT or one of its services: a process tree memgate starts, watches and stops.
struct RoleSpec {
  std::string name;                        // "sut", or the service's name
  std::vector<std::string> command;        // argv; argv[0] without '/' is looked up on PATH
  std::map<std::string, std::string> env;  // added to memgate's environment
  std::string cwd = ".";
  std::vector<ReadyProbe> ready;  // every one must hold, in order; none: ready once started
  double stop_grace_s = 5;        // SIGTERM, then SIGKILL after this long
  std::vector<FileTemplate> files;
  bool gate = false;  // services: their memory is gated too (services.NAME.<metric>)
};
using SutSpec = RoleSpec;

enum class MemoryKind { rss, pss };

struct WatchSpec {
  int interval_ms = 50;
  MemoryKind memory = MemoryKind::rss;
  // true: the watcher resets each process's high-water mark (clear_refs) every window, so a
  // tree's peak is exact; that also lowers the VmHWM and getrusage peak the SUT reads of itself.
  // false: nothing is reset; the peak is then exact for one process, a lower bound for a tree.
  bool exact_peak = true;
};

struct Scenario;

// `"sweep": {"key": "phases.load_ops", "values": [2000, 4000, 8000]}`: the scenario is run at
// every value of one numeric key, `repeat` times each, for memory per unit of work.
struct SweepSpec {
  std::string key;             // a dotted path (or JSON pointer), as --set takes it
  std::vector<double> values;  // at least 2 distinct, each valid for the key
  // The scenario at each value (same order as values), validated in full when it loaded.
  std::vector<std::shared_ptr<const Scenario>> variants;
};

struct PhasesSpec {
  double idle_s = 0;
  double warmup_s = 0;
  std::optional<double> load_s;          // load for this long, or
  std::optional<std::int64_t> load_ops;  // load until this many operations completed
  double load_timeout_s = 600;           // the bound of a load_ops load, or of a command's life
  double cooldown_s = 0;
};

// A rule's reference taken from the history: the summary figures of the last `last` passing
// checks of the same scenario hash on the same machine class; with fewer than `min_entries`,
// the baseline's.
struct HistoryWindow {
  int last = 20;
  int min_entries = 5;
};

struct GateRule {
  std::string metric;  // a gated metric, or services.NAME.<memory metric>
  std::optional<double> max_change_pct;  // relative tolerance, in the metric's worse direction
  std::optional<double> min_change;      // absolute floor, in the metric's unit
  std::optional<HistoryWindow> from_history = std::nullopt;
};

struct GateBudget {
  std::string metric;
  double limit = 0;  // lower-is-better metrics must stay <= limit; higher-is-better >= limit
};

// A rule on a sweep's figure per unit of work ("per_unit.retained_bytes"), in bytes per unit of
// the swept key: an absolute maximum, and/or an increase against the baseline's figure.
struct PerUnitRule {
  std::string metric;                    // the memory metric: "retained_bytes"
  std::optional<double> max;             // "max": bytes per unit, needs no baseline
  std::optional<double> max_change_pct;  // "max_increase_pct", against the baseline's slope
  std::optional<double> min_change;      // "min_increase_bytes": bytes per unit
};

struct GateSpec {
  std::vector<GateRule> rules;
  std::vector<GateBudget> budgets;
  std::vector<PerUnitRule> per_unit;  // only in a scenario with a sweep
  double noise_mad_k = 3;  // a change must leave the baseline's range widened by k·MAD
  int max_reruns = 2;      // reruns when a result is too close to call
  // Above this share of the CPU taken by other processes (and steal) in the load phase,
  // wall-clock checks (throughput, latency) are not judged.
  double max_contention_pct = 10;
  // When this host's speed index differs from the baseline's by more than this, wall-clock
  // checks and cpu_us_per_op are not judged.
  double max_speed_diff_pct = 10;
  // A timing rule (throughput, latency, CPU per operation) whose baseline is one sitting is
  // provisional: worse beyond its band but by less than this factor is "inconclusive", not
  // "regressed" (1: off).
  double single_sitting_hard_factor = 2;
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
  RoleSpec sut;
  std::vector<RoleSpec> services;  // started in this order (the file's), stopped in reverse
  // "ports": {port:NAME} names that are no service's (a port of the SUT's own, say a metrics
  // endpoint): declared, so that an undeclared name is a typo refused when the scenario loads.
  std::vector<std::string> ports;
  WatchSpec watch;
  PhasesSpec phases;
  DriverSpec driver;
  int repeat = 1;
  std::optional<SweepSpec> sweep;  // none: one scenario, run `repeat` times
  std::int64_t max_errors = 0;
  GateSpec gate;
  // The scenario's JSON after --set overrides, before placeholders are expanded: what
  // instantiate() expands and what the hash covers.
  nlohmann::json source;
  ScenarioContext context;
  std::vector<std::string> service_order;  // the services' keys in file order
  std::map<std::string, std::string> template_texts;  // template path -> its text, read once

  // The role with that name ("sut" or a service); nullptr when there is none.
  const RoleSpec* role(const std::string& name) const;
  // Every role: the SUT, then the services in start order.
  std::vector<const RoleSpec*> roles() const;
};

}  // namespace memgate
