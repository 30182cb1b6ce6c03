#include "runtime/watch/watcher.hpp"

#include <time.h>

#include <algorithm>

#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

// A record whose process is not known yet waits this long for its parent to be (records of the
// machine's other processes never are).
constexpr double kUnresolvedKeepMs = 5000;

}  // namespace

std::int64_t most_at_once(const std::vector<Lifetime>& lifetimes) {
  std::vector<std::pair<double, std::int64_t>> events;  // a start adds its bytes, an end takes them
  for (const Lifetime& l : lifetimes) {
    events.emplace_back(std::min(l.start_ms, l.end_ms), l.bytes);
    events.emplace_back(l.end_ms, -l.bytes);
  }
  // At one moment, starts come before ends: lifetimes that touch share it.
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second > b.second);
  });
  std::int64_t held = 0, most = 0;
  for (const auto& [t, bytes] : events) {
    held += bytes;
    most = std::max(most, held);
  }
  return most;
}

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
    exited_in_window_.emplace_back();
    exited_next_window_.emplace_back();
    if (tree.source) sources_.back().push_back(std::move(tree.source));
  }
}

void Watcher::add_source(const std::string& role, std::unique_ptr<TreeSource> source) {
  const auto it = std::find(roles_.begin(), roles_.end(), role);
  if (it == roles_.end()) throw std::logic_error("Watcher::add_source: unknown role " + role);
  std::lock_guard lock(sources_mutex_);
  sources_[it - roles_.begin()].push_back(std::move(source));
}

void Watcher::set_exit_records(std::unique_ptr<ExitRecords> records, std::string why_none) {
  exit_records_ = std::move(records);
  no_exit_records_ = std::move(why_none);
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
std::size_t Watcher::add_record(ProcessRecord record) {
  result_.processes.push_back(std::move(record));
  result_.process_samples.emplace_back();
  process_stride_.push_back(1);
  process_reads_.push_back(0);
  return result_.processes.size() - 1;
}

// Called with mutex_ held. Every stride-th read of the process is kept; a full series drops
// every other sample and doubles the stride, so it stays bounded over any run and still spans
// it evenly (its median, the plateau, is kept).
void Watcher::keep_process_sample(std::size_t row, const Sample& sample) {
  if (process_reads_[row]++ % process_stride_[row] != 0) return;
  Series& series = result_.process_samples[row];
  series.push_back(sample);
  if (series.size() < std::max<std::size_t>(2, options_.max_process_samples)) return;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < series.size(); i += 2) series[kept++] = series[i];
  series.resize(kept);
  process_stride_[row] *= 2;
}

// Called with mutex_ held.
void Watcher::note_process(const std::string& role, const ProcessMemory& p, double t_ms) {
  auto it = live_.find(p.pid);
  if (it == live_.end() || result_.processes[it->second].role != role) {
    ProcessRecord record;
    record.pid = p.pid;
    record.role = role;
    record.start_ms = t_ms;
    it = live_.insert_or_assign(p.pid, add_record(std::move(record))).first;
    // When it started, for what a window can have held at once (none: the window's start).
    if (exit_records_) {
      if (const auto lived = exit_records_->lived_ms(p.pid)) started_ms_[p.pid] = t_ms - *lived;
    }
  }
  ProcessRecord& r = result_.processes[it->second];
  if (!p.name.empty()) {
    r.name = p.name;
    r.command_line = p.command_line;
  }
  r.end_ms = t_ms;
  r.final_bytes = p.bytes;
  r.peak_bytes = std::max({r.peak_bytes, p.bytes, p.hwm_bytes.value_or(0)});
  // A zombie (nothing mapped any more) says nothing of the memory its process held.
  if (p.bytes > 0) keep_process_sample(it->second, {t_ms, p.bytes, p.anon_bytes});
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
    it = live_.insert_or_assign(exit.pid, add_record(std::move(record))).first;
  }
  ProcessRecord& r = result_.processes[it->second];
  r.peak_bytes = std::max(r.peak_bytes, exit.bytes);
  r.final_bytes = 0;
  live_.erase(it);  // a later process with this pid is another one
  seen_tick_.erase(exit.pid);
}

// Called with mutex_ held.
void Watcher::note_record(const std::string& role, const TaskExit& exit, double end_ms) {
  auto it = live_.find(exit.pid);
  if (it == live_.end() || result_.processes[it->second].role != role) {
    ProcessRecord record;  // it lived and died between two samples
    record.pid = exit.pid;
    record.role = role;
    record.name = exit.name;
    record.start_ms = std::max(0.0, end_ms - exit.lived_ms);
    record.end_ms = end_ms;
    it = live_.insert_or_assign(exit.pid, add_record(std::move(record))).first;
  }
  ProcessRecord& r = result_.processes[it->second];
  r.peak_bytes = std::max(r.peak_bytes, exit.peak_bytes);  // its own: no child's in it
  r.end_ms = std::max(r.end_ms, end_ms);
  r.final_bytes = 0;
  live_.erase(it);
  seen_tick_.erase(exit.pid);
  started_ms_.erase(exit.pid);
}

// Called with mutex_ held.
std::vector<std::vector<TaskExit>> Watcher::resolve_exit_records(double t_ms) {
  std::vector<std::vector<TaskExit>> by_role(roles_.size());
  if (!exit_records_) return by_role;
  for (TaskExit& e : exit_records_->take()) unresolved_.push_back(std::move(e));
  // A process of a tree is known (read, or reaped) or the child of one; a grandchild's record
  // comes before its parent's, so each pass may place more.
  for (bool placed = true; placed;) {
    placed = false;
    for (auto it = unresolved_.begin(); it != unresolved_.end();) {
      auto known = role_of_.find(it->pid);
      if (known == role_of_.end()) known = role_of_.find(it->ppid);
      if (known == role_of_.end()) {
        ++it;
        continue;
      }
      const std::size_t role = known->second;
      role_of_[it->pid] = role;
      by_role[role].push_back(std::move(*it));
      it = unresolved_.erase(it);
      placed = true;
    }
  }
  std::erase_if(unresolved_,
                [&](const TaskExit& e) { return t_ms - ms_since_t0(e.ended) > kUnresolvedKeepMs; });
  return by_role;
}

std::vector<TreeSnapshot> Watcher::read_trees(bool with_hwm) {
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
  return snapshots;
}

// Called with mutex_ held: what exited from role i's tree (the records, then memgate's reaps).
void Watcher::count_exits(std::size_t i, const TreeSnapshot& snapshot,
                          const std::vector<TaskExit>& records, bool with_hwm, double t_ms) {
  RoleWatch& r = result_.roles[i];
  const auto read_now = [&](int pid) {
    return with_hwm && std::any_of(snapshot.processes.begin(), snapshot.processes.end(),
                                   [&](const auto& p) { return p.pid == pid; });
  };
  for (const TaskExit& exit : records) {
    const double end_ms = std::min(ms_since_t0(exit.ended), t_ms);
    r.exit_peak_bytes = std::max(r.exit_peak_bytes, exit.peak_bytes);
    // Read with its mark in this very read, its record holds only what came after it: the
    // next window's.
    const bool next = read_now(exit.pid);
    const double start_ms = std::max(end_ms - exit.lived_ms, next ? t_ms : window_start_ms_);
    (next ? exited_next_window_ : exited_in_window_)[i].push_back(
        {std::min(start_ms, end_ms), end_ms, exit.peak_bytes});
    note_record(r.role, exit, end_ms);
    exited_by_record_.insert(exit.pid);
  }
  std::int64_t& reaped = reaped_in_window_bytes_[i];
  for (const ExitPeak& exit : snapshot.exits) {
    // Its record counted it, with its own peak.
    if (exit_records_ && exited_by_record_.erase(exit.pid) > 0) continue;
    r.exit_peak_bytes = std::max(r.exit_peak_bytes, exit.bytes);
    // A process read with its mark and reaped within the same read counts once.
    const bool counted = read_now(exit.pid);
    if (!counted) {
      reaped += exit.bytes;
      if (exit_records_) exited_in_window_[i].push_back({window_start_ms_, t_ms, exit.bytes});
    }
    note_exit(r.role, exit, t_ms);
  }
}

// Called with mutex_ held: the most role i's tree can have held at once since the last
// high-water read (see the class comment).
std::int64_t Watcher::window_term(std::size_t i, const TreeSnapshot& snapshot, std::int64_t hwm_sum,
                                  std::int64_t hwm_max, double t_ms) const {
  if (!options_.exact_peak) return hwm_max;
  if (!exit_records_) return hwm_sum + reaped_in_window_bytes_[i];
  std::vector<Lifetime> lives = exited_in_window_[i];
  for (const auto& p : snapshot.processes) {
    const auto started = started_ms_.find(p.pid);
    const double from = started == started_ms_.end() ? window_start_ms_ : started->second;
    lives.push_back({std::max(from, window_start_ms_), t_ms, p.hwm_bytes.value_or(p.bytes)});
  }
  return most_at_once(lives);
}

void Watcher::take_sample(bool with_hwm) {
  std::vector<TreeSnapshot> snapshots = read_trees(with_hwm);
  const auto now = Clock::now();
  const double t_ms = std::chrono::duration<double, std::milli>(now - t0_).count();
  std::lock_guard lock(mutex_);
  ++tick_;
  if (exit_records_) {
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      for (const auto& p : snapshots[i].processes) role_of_[p.pid] = i;
      for (const auto& e : snapshots[i].exits) role_of_[e.pid] = i;
    }
  }
  const auto records = resolve_exit_records(t_ms);
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const TreeSnapshot& snapshot = snapshots[i];
    RoleWatch& r = result_.roles[i];
    std::int64_t bytes = 0, anon_bytes = 0, hwm_sum = 0, hwm_max = 0;
    for (const auto& p : snapshot.processes) {
      bytes += p.bytes;
      anon_bytes += p.anon_bytes;
      hwm_sum += p.hwm_bytes.value_or(p.bytes);
      hwm_max = std::max(hwm_max, p.hwm_bytes.value_or(p.bytes));
      // A process whose exit record came is a zombie until reaped: no new row for it.
      if (exit_records_ && p.bytes == 0 && exited_by_record_.count(p.pid) > 0) continue;
      note_process(r.role, p, t_ms);
    }
    r.samples.push_back({t_ms, bytes, anon_bytes});
    r.max_sample_bytes = std::max(r.max_sample_bytes, bytes);
    count_exits(i, snapshot, records[i], with_hwm, t_ms);
    if (with_hwm) {
      if (snapshot.hwm_complete) {
        const std::int64_t window = window_term(i, snapshot, hwm_sum, hwm_max, t_ms);
        r.hwm_peak_bytes = std::max(r.hwm_peak_bytes, window);
      } else if (!snapshot.processes.empty()) {
        r.hwm_complete = false;
      }
      reaped_in_window_bytes_[i] = 0;
      exited_in_window_[i] = std::move(exited_next_window_[i]);
      exited_next_window_[i].clear();
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
  if (with_hwm) window_start_ms_ = t_ms;
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
    for (const ProcessRecord& p : result_.processes) {
      if (p.role == r.role)
        r.max_process_peak_bytes = std::max(r.max_process_peak_bytes, p.peak_bytes);
    }
  }
  if (!exit_records_) {
    result_.exit_records_problem = no_exit_records_;
  } else if (exit_records_->lost()) {
    result_.exit_records_problem = "some of the kernel's exit records were lost (a busy machine)";
  }
  // The processes' series go to the caller, not copied: they are the biggest part.
  std::vector<Series> process_samples = std::move(result_.process_samples);
  result_.process_samples.clear();
  WatchResult out = result_;
  out.process_samples = std::move(process_samples);
  return out;
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
