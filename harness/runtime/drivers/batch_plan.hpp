#pragma once

// What the two text-batch drivers (HTTP, stdin) share: handing out batches of texts to their
// connections, and counting what came back. Thread-safe.
// - A batch is `batch_size` consecutive texts of the corpus (cycled). In a load_ops run the
//   load phase hands out exactly that many texts (the last batch may be smaller).
// - Open model: batch k is due at start + k / rate_per_s whichever connection sends it, and its
//   latency counts from then, so a slow SUT pays for every batch it delayed.

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/stats/histogram.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/pacer.hpp"

namespace memgate {

class BatchPlan {
 public:
  using Clock = std::chrono::steady_clock;

  struct Batch {
    std::uint64_t first_text = 0;
    std::size_t count = 0;
    bool load = false;             // counts for the load phase
    Clock::time_point intended;    // due time (open model) or hand-out time (closed)
  };

  BatchPlan(int batch_size, double rate_per_s) : batch_size_(batch_size), rate_per_s_(rate_per_s) {}

  void start(Clock::time_point origin) { pacer_ = Pacer(rate_per_s_, origin); }
  void begin_load(std::optional<std::int64_t> limit_texts);
  bool open_model() const { return rate_per_s_ > 0; }

  // The next batch, or nothing once a load_ops load has handed out all its texts.
  std::optional<Batch> next();

  // A batch came back: ok (the answer expected) with the batch's latency, or failed with a
  // reason ("mismatch", "timeout", "closed", ...) counted under load_outcomes. `what` describes
  // the failure; the load phase's first one is reported (DriverReport::first_failure).
  void completed(const Batch& batch, Clock::time_point done);
  void failed(const Batch& batch, const std::string& reason, const std::string& what = {});

  std::int64_t load_texts_done() const { return load_done_.load(); }
  std::optional<Clock::time_point> limit_reached_at() const;

  // The figures of the load phase, and details by phase.
  DriverReport report(int connections) const;

 private:
  void count_done(const Batch& batch);

  int batch_size_;
  double rate_per_s_;
  Pacer pacer_{0, Clock::now()};
  std::atomic<bool> in_load_{false};
  std::optional<std::int64_t> limit_;         // set before in_load_ turns true
  std::atomic<std::int64_t> next_batch_{0};    // schedule index (all phases)
  std::atomic<std::uint64_t> next_text_{0};    // corpus cursor (all phases)
  std::atomic<std::int64_t> load_claimed_{0};  // texts handed out in the load phase
  std::atomic<std::int64_t> load_done_{0};     // texts of the load phase answered or failed
  std::atomic<std::int64_t> limit_reached_ns_{0};
  mutable std::mutex mutex_;
  struct Phase {
    std::int64_t texts = 0, batches = 0, failed_texts = 0, failed_batches = 0;
  } warmup_, load_;
  std::map<std::string, std::int64_t> outcomes_;  // "mismatch", "timeout", ... (load phase)
  std::optional<std::string> first_failure_;      // load phase
  LatencyHistogram latency_;                      // per batch, load phase
};

}  // namespace memgate
