#include "runtime/drivers/batch_plan.hpp"

#include <algorithm>

namespace memgate {

void BatchPlan::begin_load(std::optional<std::int64_t> limit_texts) {
  limit_ = limit_texts;
  in_load_.store(true);  // publishes limit_
}

std::optional<BatchPlan::Batch> BatchPlan::next() {
  Batch b;
  b.load = in_load_.load();
  auto count = static_cast<std::int64_t>(batch_size_);
  if (b.load && limit_) {
    const std::int64_t claimed = load_claimed_.fetch_add(count);
    if (claimed >= *limit_) return std::nullopt;
    count = std::min(count, *limit_ - claimed);
  }
  b.count = static_cast<std::size_t>(count);
  b.first_text = next_text_.fetch_add(static_cast<std::uint64_t>(count));
  const std::int64_t index = next_batch_.fetch_add(1);
  b.intended = open_model() ? pacer_.due(index) : Clock::now();
  return b;
}

void BatchPlan::count_done(const Batch& batch) {
  if (!batch.load) return;
  const std::int64_t done = load_done_ += static_cast<std::int64_t>(batch.count);
  if (limit_ && done >= *limit_) {
    std::int64_t none = 0;
    limit_reached_ns_.compare_exchange_strong(none, Clock::now().time_since_epoch().count());
  }
}

void BatchPlan::completed(const Batch& batch, Clock::time_point done) {
  {
    std::lock_guard lock(mutex_);
    Phase& p = batch.load ? load_ : warmup_;
    p.texts += static_cast<std::int64_t>(batch.count);
    ++p.batches;
    if (batch.load) latency_.record((done - batch.intended).count());
  }
  count_done(batch);
}

void BatchPlan::failed(const Batch& batch, const std::string& reason, const std::string& what) {
  {
    std::lock_guard lock(mutex_);
    Phase& p = batch.load ? load_ : warmup_;
    p.failed_texts += static_cast<std::int64_t>(batch.count);
    ++p.failed_batches;
    if (batch.load) {
      ++outcomes_[reason];
      if (!first_failure_) first_failure_ = what.empty() ? reason : reason + ": " + what;
    }
  }
  count_done(batch);
}

std::optional<BatchPlan::Clock::time_point> BatchPlan::limit_reached_at() const {
  const auto ns = limit_reached_ns_.load();
  if (ns == 0) return std::nullopt;
  return Clock::time_point(Clock::duration(ns));
}

DriverReport BatchPlan::report(int connections) const {
  std::lock_guard lock(mutex_);
  DriverReport r;
  r.ops = load_.texts;
  r.errors = load_.failed_texts;
  r.latency = latency_;
  r.first_failure = first_failure_;
  if (open_model()) r.target_rate_per_s = rate_per_s_ * batch_size_;  // texts per second
  nlohmann::json outcomes = outcomes_;
  outcomes["ok"] = load_.batches;
  r.details = {
      {"texts", {{"warmup", warmup_.texts}, {"load", load_.texts}}},
      {"batches", {{"warmup", warmup_.batches}, {"load", load_.batches}}},
      {"failed_texts", {{"warmup", warmup_.failed_texts}, {"load", load_.failed_texts}}},
      {"failed_batches", {{"warmup", warmup_.failed_batches}, {"load", load_.failed_batches}}},
      {"load_outcomes", outcomes},
      {"batch_size", batch_size_},
      {"connections", connections},
  };
  if (open_model()) r.details["target_batches_per_s"] = rate_per_s_;
  r.load_rates["batches_per_s"] = static_cast<double>(load_.batches);
  return r;
}

}  // namespace memgate
