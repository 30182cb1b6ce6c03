#pragma once

// A scenario's baseline: per metric, every repetition's value with its median and spread, the
// scenario's hash (a changed scenario makes the baseline stale) and the environment it was
// measured in. baselines/<scenario>.json; written atomically (see write_baseline_file).
// The runs come in sittings: those of one `memgate baseline`, and those that `--append` adds
// later. Timing moves more between sittings than within one; the gate widens a timing rule's
// band by the spread between sittings (gate/reference.hpp).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/report/report.hpp"
#include "core/stats/stats.hpp"

namespace memgate {

constexpr int kBaselineSchemaVersion = 1;

// The values of one metric over repetitions, with the figures the gate uses.
struct MetricSeries {
  std::vector<double> values;
  double median = 0;
  double mad = 0;  // median absolute deviation, unscaled
  double min = 0;
  double max = 0;
};

// Summary figures of values (which must not be empty).
MetricSeries make_series(std::vector<double> values);

// The values' noise band: their range widened by k·MAD on both sides (low, high).
std::pair<double, double> noise_band(const MetricSeries& series, double k);

// Runs made together, with the host's state then.
struct Sitting {
  std::string created_at;
  int repetitions = 0;
  std::optional<double> speed_ms;        // the speed index (gate.hpp kSpeedKey), when measured
  std::optional<double> contention_pct;  // others' share of the CPU in the load phases
  std::map<std::string, std::vector<double>> values;  // by gated metric: its runs' values
};

// A baseline keeps at most this many sittings: appending more drops the oldest.
constexpr std::size_t kMaxSittings = 10;

struct Baseline {
  std::string scenario;
  std::string scenario_hash;
  std::string created_at;
  std::string memgate_version;
  std::string sut_version;  // empty when the SUT's --version could not be read
  nlohmann::json environment = nlohmann::json::object();
  std::string fingerprint;  // see machine_fingerprint()
  int repetitions = 0;
  std::map<std::string, MetricSeries> metrics;  // by gated metric name: every sitting's runs
  std::vector<Sitting> sittings;                // oldest first, never empty
  // A sweep's figures per unit of work, by memory metric name ("retained_bytes"): the slope over
  // the swept values with its interval (per_unit_figures). Empty without a sweep.
  std::map<std::string, stats::SlopeFit> per_unit;
};

// Identifies the machine class a measurement is comparable on: CPU model, cores, memory (GiB)
// and architecture; not the host name (CI runners of one class have many names). 16 hex digits.
// Fields missing or of another type (a hand-edited file) count as unknown: it never throws.
std::string machine_fingerprint(const nlohmann::json& environment);

// The CPU model an environment names, for messages; "?" when absent or not a string.
std::string cpu_model_of(const nlohmann::json& environment);

// The values of every gated metric over the report's valid runs (metrics a run lacks are
// skipped), gated services' memory metrics included (services.NAME.<metric>); in a sweep, of the
// runs at its largest value (stands_for_scenario). Empty when no run is valid.
std::map<std::string, std::vector<double>> metric_values(const std::vector<RunRecord>& runs);

// A baseline from a report whose runs are all valid: one sitting.
Baseline make_baseline(const Report& report, const std::string& sut_version);

// `before` with the sitting of `later` (a baseline made by make_baseline of the same scenario
// hash on the same machine class: the caller checks) added; the oldest sittings beyond
// kMaxSittings are dropped. The metrics, repetitions and environment follow the sittings kept.
Baseline append_sitting(const Baseline& before, const Baseline& later);

// The baseline's sittings; one built in memory without them (tests) counts as one sitting.
std::vector<Sitting> sittings_of(const Baseline& baseline);

// The median of each of the sittings' values of `metric` (sittings without it are skipped).
std::vector<double> sitting_medians(const Baseline& baseline, const std::string& metric);

nlohmann::json baseline_to_json(const Baseline& baseline);

// Parses and checks a baseline document. Throws InputError (exit 2) naming file and JSON path
// for any problem: wrong schema version, missing or mistyped field, inconsistent figures.
Baseline baseline_from_json(const nlohmann::json& document, const std::string& file);

// Reads a baseline file (at most 16 MiB); InputError for unreadable, corrupt or truncated files.
Baseline read_baseline_file(const std::string& path);

// Writes atomically (temp file, fsync, rename): a crash leaves the old file or the new one.
void write_baseline_file(const std::string& path, const Baseline& baseline);

// One line per metric whose median moved between two baselines ("peak_bytes: 12.1 MiB ->
// 13.0 MiB (+7.4%)"), plus lines for a changed scenario hash or machine.
std::vector<std::string> describe_changes(const Baseline& before, const Baseline& after);

}  // namespace memgate
