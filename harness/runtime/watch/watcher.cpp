#include "runtime/watch/watcher.hpp"

#include <time.h>

#include <algorithm>

#include "runtime/process/interrupt.hpp"

namespace memgate {

const RoleWatch* WatchResult::role(const std::string& name) const {
  for (const auto& r : roles) {
    if (r.role == name) return &r;
  }
  return nullptr;
}

Watcher::Watcher(std::vector<WatchedTree> trees, WatchOptions options, Clock::time_point t0)
    : options_(options), t0_(t0) {
  for (auto& tree : trees) {
    RoleWatch role;
    role.role = tree.role;
    result_.roles.push_back(std::move(role));
    roles_.push_back(tree.role);
    sources_.emplace_back();
    reaped_in_window_bytes_.push_back(0);
    if (tree.source) sources_.back().push_back(std::move(tree.source));
  }
}

void Watcher::add_source(const std::string& role, std::unique_ptr<TreeSource> source) {
  const auto it = std::find(roles_.begin(), roles_.end(), role);
  if (it == roles_.end()) throw std::logic_error("Watcher::add_source: unknown role " + role);
  std::lock_guard lock(sources_mutex_);
  sources_[it - roles_.begin()].push_back(std::move(source));
}

Watcher::Watcher(std::unique_ptr<TreeSource> source, WatchOptions options, Clock::time_point t0)
    : Watcher(
          [&] {
            std::vector<WatchedTree> trees;
            trees.push_back({"sut", std::move(source)});
            return trees;
          }(),
          options, t0) {}

Watcher::~Watcher() {
  if (thread_.joinable()) stop();
}

// Called with mutex_ held.
void Watcher::note_process(const std::string& role, const ProcessMemory& p, double t_ms) {
  auto it = live_.find(p.pid);
  if (it == live_.end() || result_.processes[it->second].role != role) {
    ProcessRecord record;
    record.pid = p.pid;
    record.role = role;
    record.start_ms = t_ms;
    result_.processes.push_back(std::move(record));
    it = live_.insert_or_assign(p.pid, result_.processes.size() - 1).first;
  }
  ProcessRecord& r = result_.processes[it->second];
  if (!p.name.empty()) {
    r.name = p.name;
    r.command_line = p.command_line;
  }
  r.end_ms = t_ms;
  r.final_bytes = p.bytes;
  r.peak_bytes = std::max({r.peak_bytes, p.bytes, p.hwm_bytes.value_or(0)});
  seen_tick_[p.pid] = tick_;
}

// Called with mutex_ held. A process reaped before any sample saw it still gets a record.
void Watcher::note_exit(const std::string& role, const ExitPeak& exit, double t_ms) {
  auto it = live_.find(exit.pid);
  if (it == live_.end()) {
    ProcessRecord record;
    record.pid = exit.pid;
    record.role = role;
    record.name = "(exited between two samples)";
    record.start_ms = record.end_ms = t_ms;
    result_.processes.push_back(std::move(record));
    it = live_.insert_or_assign(exit.pid, result_.processes.size() - 1).first;
  }
  ProcessRecord& r = result_.processes[it->second];
  r.peak_bytes = std::max(r.peak_bytes, exit.bytes);
  r.final_bytes = 0;
  live_.erase(it);  // a later process with this pid is another one
  seen_tick_.erase(exit.pid);
}

void Watcher::take_sample(bool with_hwm) {
  // The sources are only ever used by one thread at a time: the sampling thread, or the caller
  // of start()/stop() while that thread is not running; add_source waits for a sample's reads.
  std::vector<TreeSnapshot> snapshots(sources_.size());
  {
    std::lock_guard sources_lock(sources_mutex_);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      TreeSnapshot& merged = snapshots[i];
      if (sources_[i].size() == 1) {  // the usual case: one tree per role
        merged = sources_[i].front()->read(with_hwm);
        continue;
      }
      merged.hwm_complete = true;
      for (auto& source : sources_[i]) {
        TreeSnapshot one = source->read(with_hwm);
        // A tree that is gone says nothing of the marks of the others.
        if (!one.processes.empty()) merged.hwm_complete = merged.hwm_complete && one.hwm_complete;
        for (auto& p : one.processes) merged.processes.push_back(std::move(p));
        for (auto& e : one.exits) merged.exits.push_back(e);
      }
    }
  }
  const auto now = Clock::now();
  const double t_ms = std::chrono::duration<double, std::milli>(now - t0_).count();
  std::lock_guard lock(mutex_);
  ++tick_;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const TreeSnapshot& snapshot = snapshots[i];
    RoleWatch& r = result_.roles[i];
    std::int64_t bytes = 0, anon_bytes = 0, hwm_sum = 0, hwm_max = 0;
    for (const auto& p : snapshot.processes) {
      bytes += p.bytes;
      anon_bytes += p.anon_bytes;
      hwm_sum += p.hwm_bytes.value_or(p.bytes);
      hwm_max = std::max(hwm_max, p.hwm_bytes.value_or(p.bytes));
      note_process(r.role, p, t_ms);
    }
    r.samples.push_back({t_ms, bytes, anon_bytes});
    r.max_sample_bytes = std::max(r.max_sample_bytes, bytes);
    std::int64_t& reaped = reaped_in_window_bytes_[i];
    for (const ExitPeak& exit : snapshot.exits) {
      r.exit_peak_bytes = std::max(r.exit_peak_bytes, exit.bytes);
      // A process read with its mark and reaped within the same read counts once.
      const bool counted =
          with_hwm && std::any_of(snapshot.processes.begin(), snapshot.processes.end(),
                                  [&](const auto& p) { return p.pid == exit.pid; });
      if (!counted) reaped += exit.bytes;
      note_exit(r.role, exit, t_ms);
    }
    if (with_hwm) {
      if (snapshot.hwm_complete) {
        const std::int64_t window = options_.exact_peak ? hwm_sum + reaped : hwm_max;
        r.hwm_peak_bytes = std::max(r.hwm_peak_bytes, window);
      } else if (!snapshot.processes.empty()) {
        r.hwm_complete = false;
      }
      reaped = 0;
    }
    r.max_processes = std::max(r.max_processes, static_cast<int>(snapshot.processes.size()));
    if (snapshot.processes.empty() && !r.lost_at_ms) r.lost_at_ms = t_ms;
  }
  // Processes that left the trees without memgate reaping them (a daemon's parent did).
  for (auto it = live_.begin(); it != live_.end();) {
    if (seen_tick_[it->first] != tick_) {
      seen_tick_.erase(it->first);
      it = live_.erase(it);
    } else {
      ++it;
    }
  }
  last_processes_ = static_cast<int>(snapshots.front().processes.size());
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
  for (RoleWatch& r : result_.roles) {
    r.peak_bytes = std::max({r.max_sample_bytes, r.hwm_peak_bytes, r.exit_peak_bytes});
  }
  return result_;
}

std::size_t Watcher::sample_count() const {
  std::lock_guard lock(mutex_);
  return result_.roles.front().samples.size();
}

bool Watcher::wait_for_samples(std::size_t n, double timeout_ms) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock,
                           std::chrono::microseconds(static_cast<long long>(timeout_ms * 1000)),
                           [&] { return result_.roles.front().samples.size() >= n; });
}

std::int64_t Watcher::last_bytes() const {
  std::lock_guard lock(mutex_);
  const auto& samples = result_.roles.front().samples;
  return samples.empty() ? 0 : samples.back().bytes;
}

int Watcher::last_process_count() const {
  std::lock_guard lock(mutex_);
  return last_processes_;
}

}  // namespace memgate
