#include "runtime/watch/watcher.hpp"

#include <algorithm>

#include <time.h>

#include "runtime/process/interrupt.hpp"

namespace memgate {

Watcher::Watcher(std::unique_ptr<TreeSource> source, WatchOptions options, Clock::time_point t0)
    : source_(std::move(source)), options_(options), t0_(t0) {}

Watcher::~Watcher() {
  if (thread_.joinable()) stop();
}

void Watcher::take_sample(bool with_hwm) {
  // The source is only ever used by one thread at a time: the sampling thread, or the caller
  // of start()/stop() while that thread is not running.
  const TreeSnapshot snapshot = source_->read(with_hwm);
  const auto now = Clock::now();
  std::int64_t bytes = 0, hwm_sum = 0;
  for (const auto& p : snapshot.processes) {
    bytes += p.bytes;
    hwm_sum += p.hwm_bytes.value_or(p.bytes);
  }
  std::lock_guard lock(mutex_);
  WatchResult& r = result_;
  r.samples.push_back({std::chrono::duration<double, std::milli>(now - t0_).count(), bytes});
  r.max_sample_bytes = std::max(r.max_sample_bytes, bytes);
  if (with_hwm) {
    if (snapshot.hwm_complete) {
      r.hwm_peak_bytes = std::max(r.hwm_peak_bytes, hwm_sum);
    } else if (!snapshot.processes.empty()) {
      r.hwm_complete = false;
    }
  }
  for (std::int64_t peak : snapshot.exit_peak_bytes) {
    r.exit_peak_bytes = std::max(r.exit_peak_bytes, peak);
  }
  r.max_processes = std::max(r.max_processes, static_cast<int>(snapshot.processes.size()));
  if (snapshot.processes.empty() && !r.lost_at_ms) r.lost_at_ms = r.samples.back().t_ms;
  last_processes_ = static_cast<int>(snapshot.processes.size());
  changed_.notify_all();
}

void Watcher::start() {
  next_hwm_ = Clock::now() + std::chrono::milliseconds(options_.hwm_window_ms);
  take_sample(false);
  thread_ = std::thread([this] { run(); });
}

void Watcher::run() {
  interrupt::block_in_this_thread();
  const auto interval = std::chrono::microseconds(options_.interval_ms * 1000LL);
  auto next = Clock::now() + interval;
  std::unique_lock lock(mutex_);
  while (!changed_.wait_until(lock, next, [&] { return stopping_; })) {
    lock.unlock();
    const auto now = Clock::now();
    const bool with_hwm = now >= next_hwm_;
    if (with_hwm) next_hwm_ = now + std::chrono::milliseconds(options_.hwm_window_ms);
    take_sample(with_hwm);
    lock.lock();
    // Absolute deadlines keep the rate; a read that overran skips ticks instead of bursting.
    next += interval;
    const auto after = Clock::now();
    if (next <= after) {
      const auto behind = (after - next) / interval + 1;
      result_.late_ticks += behind;
      next += behind * interval;
    }
  }
  timespec cpu{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  result_.thread_cpu_ms = cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6;
}

WatchResult Watcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  take_sample(true);
  std::lock_guard lock(mutex_);
  WatchResult& r = result_;
  r.peak_bytes = r.max_sample_bytes;
  if (options_.memory == MemoryKind::rss) {
    r.peak_bytes = std::max({r.peak_bytes, r.hwm_peak_bytes, r.exit_peak_bytes});
  }
  return r;
}

std::size_t Watcher::sample_count() const {
  std::lock_guard lock(mutex_);
  return result_.samples.size();
}

bool Watcher::wait_for_samples(std::size_t n, double timeout_ms) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::microseconds(static_cast<long long>(timeout_ms * 1000)),
                           [&] { return result_.samples.size() >= n; });
}

std::int64_t Watcher::last_bytes() const {
  std::lock_guard lock(mutex_);
  return result_.samples.empty() ? 0 : result_.samples.back().bytes;
}

int Watcher::last_process_count() const {
  std::lock_guard lock(mutex_);
  return last_processes_;
}

}  // namespace memgate
