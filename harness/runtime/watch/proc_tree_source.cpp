#include "runtime/watch/proc_tree_source.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
#include "runtime/process/reaper.hpp"

namespace memgate {

namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

Fd open_proc(int pid, const char* leaf, int flags = O_RDONLY) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/%s", pid, leaf);
  return Fd(::open(path, flags | O_CLOEXEC));
}

// Reads a whole /proc file through a kept descriptor into buf (grown as needed, never shrunk or
// cleared: no per-read memset). Returns the text, or nullopt when the process is gone (ESRCH) or
// the read failed.
std::optional<std::string_view> pread_all(int fd, std::vector<char>& buf) {
  if (buf.size() < 4096) buf.resize(4096);
  std::size_t used = 0;
  while (true) {
    const ssize_t n = ::pread(fd, buf.data() + used, buf.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    used += static_cast<std::size_t>(n);
    if (n == 0 || used < buf.size()) break;
    buf.resize(buf.size() * 2);
  }
  return std::string_view(buf.data(), used);
}

// Thread ids in /proc/PID/task, read through a kept directory descriptor.
std::vector<int> list_tasks(int dir_fd) {
  std::vector<int> tids;
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return tids;
  alignas(8) char buf[8192];
  while (true) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name
      unsigned short reclen;
      std::memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char* name = buf + off + 19;
      if (name[0] >= '1' && name[0] <= '9') tids.push_back(std::atoi(name));
      off += reclen;
    }
  }
  return tids;
}

}  // namespace

// A process's identity is read again in its first windows: a fork seen before its exec shows
// its parent's name.
constexpr int kIdentityReads = 3;
constexpr std::size_t kMaxCommandLineBytes = 300;

struct ProcTreeSource::Tracked {
  int pid = 0;
  Fd statm, status, clear_refs, smaps, task_dir;
  std::string name, command_line;
  int identity_reads = 0;
  std::vector<std::pair<int, Fd>> task_children;  // per thread id
  std::vector<int> children;  // as of the last structure read
  std::uint64_t round = 0;
};

ProcTreeSource::ProcTreeSource(int root_pid, const WatchSpec& watch, std::uint64_t exits_after,
                               RoleRegistry* registry, std::string role)
    : root_pid_(root_pid),
      kind_(watch.memory),
      reset_hwm_(watch.exact_peak),
      registry_(registry),
      role_(std::move(role)),
      page_bytes_(::sysconf(_SC_PAGESIZE)),
      reaper_cursor_(exits_after) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/children", ::getpid(), ::getpid());
  self_children_fd_ = ::open(path, O_RDONLY | O_CLOEXEC);
  loadavg_fd_ = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
}

ProcTreeSource::~ProcTreeSource() {
  for (int fd : {self_children_fd_, loadavg_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

ProcTreeSource::Tracked* ProcTreeSource::open_process(int pid) {
  auto t = std::make_unique<Tracked>();
  t->pid = pid;
  t->statm = open_proc(pid, "statm");
  if (!t->statm.ok()) return nullptr;
  t->status = open_proc(pid, "status");
  if (reset_hwm_) t->clear_refs = open_proc(pid, "clear_refs", O_WRONLY);
  if (kind_ == MemoryKind::pss) t->smaps = open_proc(pid, "smaps_rollup");
  t->task_dir = open_proc(pid, "task", O_RDONLY | O_DIRECTORY);
  Tracked* raw = t.get();
  procs_[pid] = std::move(t);
  return raw;
}

bool ProcTreeSource::read_memory(Tracked& t, bool with_hwm, ProcessMemory& out, bool& hwm_ok) {
  const auto text = pread_all(t.statm.get(), buf_);
  if (!text) return false;  // gone
  const auto statm = procfs::parse_statm(*text, page_bytes_).value_or(procfs::StatmMemory{});
  out.pid = t.pid;
  out.bytes = statm.rss_bytes;
  out.anon_bytes = statm.anon_bytes;
  // The RSS the PSS was read with (the same smaps_rollup read): a mark's rise is measured from
  // it. statm's, read before, can hold a spike that an munmap removed meanwhile.
  std::int64_t rss_with_pss = statm.rss_bytes;
  if (kind_ == MemoryKind::pss) {
    // smaps_rollup binds the address space at open: after an exec it reads nothing. Reopen once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto smaps = t.smaps.ok() ? pread_all(t.smaps.get(), buf_) : std::nullopt;
      const auto rollup = smaps ? procfs::parse_smaps_rollup(*smaps) : procfs::SmapsRollup{};
      if (rollup.pss_bytes) {
        out.bytes = *rollup.pss_bytes;
        // Before Linux 5.7 no Pss_Anon: anonymous pages are rarely shared, so RssAnon is close.
        out.anon_bytes = std::min(rollup.pss_anon_bytes.value_or(statm.anon_bytes), out.bytes);
        rss_with_pss = rollup.rss_bytes.value_or(statm.rss_bytes);
        break;
      }
      t.smaps = open_proc(t.pid, "smaps_rollup");
    }
  }
  if (with_hwm) {
    // A process that exits meanwhile has no high-water mark left to read or reset: it counts 0
    // and the window stays whole. Only a refusal (permissions) makes the window incomplete.
    std::int64_t hwm = 0;
    const auto status_text = t.status.ok() ? pread_all(t.status.get(), buf_) : std::nullopt;
    const auto status = status_text ? procfs::parse_status(*status_text) : procfs::StatusFields{};
    if (status.hwm_bytes) {
      hwm = *status.hwm_bytes;
      if (kind_ == MemoryKind::pss) hwm = out.bytes + std::max<std::int64_t>(0, hwm - rss_with_pss);
      if (reset_hwm_ && (!t.clear_refs.ok() ||
                         (::pwrite(t.clear_refs.get(), "5", 1, 0) != 1 && errno != ESRCH))) {
        hwm_ok = false;
      }
    } else if (!t.status.ok()) {
      hwm_ok = false;
    }
    out.hwm_bytes = hwm;
  }
  return true;
}

void ProcTreeSource::read_children(Tracked& t) {
  // Threads come and go: list them on every structure read.
  if (t.task_dir.ok()) {
    std::vector<std::pair<int, Fd>> fresh;
    for (int tid : list_tasks(t.task_dir.get())) {
      const auto old = std::find_if(t.task_children.begin(), t.task_children.end(),
                                    [&](const auto& p) { return p.first == tid; });
      if (old != t.task_children.end()) {
        fresh.emplace_back(tid, std::move(old->second));
      } else {
        char leaf[48];
        std::snprintf(leaf, sizeof leaf, "task/%d/children", tid);
        fresh.emplace_back(tid, open_proc(t.pid, leaf));
      }
    }
    t.task_children = std::move(fresh);
  }
  t.children.clear();
  for (auto& [tid, fd] : t.task_children) {
    const auto text = fd.ok() ? pread_all(fd.get(), buf_) : std::nullopt;
    if (text) {
      for (int child : procfs::parse_pid_list(*text)) t.children.push_back(child);
    }
  }
}

bool ProcTreeSource::mine(int pid) {
  return !registry_ || registry_->role_of_orphan(pid) == role_;
}

std::vector<int> ProcTreeSource::adopted_orphans() {
  std::vector<int> out;
  const auto text = self_children_fd_ >= 0 ? pread_all(self_children_fd_, buf_) : std::nullopt;
  if (!text) return out;
  const Reaper& reaper = Reaper::instance();
  for (int pid : procfs::parse_pid_list(*text)) {
    if (!reaper.is_launched(pid) && mine(pid)) out.push_back(pid);
  }
  return out;
}

void ProcTreeSource::read_identity(Tracked& t, ProcessMemory& out) {
  ++t.identity_reads;
  std::string name = read_text_file(fmt::format("/proc/{}/comm", t.pid));
  while (!name.empty() && name.back() == '\n') name.pop_back();
  std::string command_line = read_text_file(fmt::format("/proc/{}/cmdline", t.pid));
  while (!command_line.empty() && command_line.back() == '\0') command_line.pop_back();
  std::replace(command_line.begin(), command_line.end(), '\0', ' ');
  if (command_line.size() > kMaxCommandLineBytes) command_line.resize(kMaxCommandLineBytes);
  if (name.empty() || (name == t.name && command_line == t.command_line)) return;
  t.name = out.name = std::move(name);
  t.command_line = out.command_line = std::move(command_line);
}

bool ProcTreeSource::structure_may_have_changed() {
  std::optional<int> last_pid;
  if (const auto text = loadavg_fd_ >= 0 ? pread_all(loadavg_fd_, buf_) : std::nullopt) {
    last_pid = procfs::loadavg_last_pid(*text);
  }
  const bool changed = !last_pid || *last_pid != last_pid_seen_ || member_vanished_;
  last_pid_seen_ = last_pid.value_or(-1);
  member_vanished_ = false;
  return changed;
}

std::vector<int> ProcTreeSource::walk(bool with_hwm, TreeSnapshot* snapshot) {
  ++round_;
  // Read the structure before the memory: a process created after this check is seen next time.
  bool full = structure_may_have_changed();
  if (!root_gone_ && Reaper::instance().exit_of(root_pid_)) {
    root_gone_ = true;  // reaped: its pid may be reused; its children are memgate's orphans now
    full = true;
  }
  if (full) orphans_ = adopted_orphans();
  // (pid, fresh): fresh pids were just read from a live parent (or are the live root) and may be
  // opened; the others come from cached lists and are only followed through kept descriptors.
  std::vector<std::pair<int, bool>>& frontier = frontier_;
  frontier.clear();
  if (!root_gone_) frontier.emplace_back(root_pid_, true);
  for (int orphan : orphans_) frontier.emplace_back(orphan, full);
  std::vector<int> found;
  found.reserve(procs_.size() + 1);
  if (snapshot) snapshot->processes.reserve(procs_.size() + 1);
  bool hwm_ok = true;
  for (std::size_t i = 0; i < frontier.size(); ++i) {
    const auto [pid, fresh] = frontier[i];
    auto it = procs_.find(pid);
    if (it != procs_.end() && it->second->round == round_) continue;  // reached twice
    Tracked* t = it != procs_.end() ? it->second.get() : nullptr;
    if (pid == root_pid_ && root_gone_) continue;
    ProcessMemory memory;
    bool children_fresh = false;
    if (t && !read_memory(*t, with_hwm, memory, hwm_ok)) {
      // Gone: its children (re-parented to memgate now) are still members; the next walk
      // reads the whole structure again. Its pid is never reopened from here.
      member_vanished_ = true;
      if (pid == root_pid_) root_gone_ = true;
      for (int child : t->children) frontier.emplace_back(child, false);
      procs_.erase(it);
      t = nullptr;
      if (!fresh || pid == root_pid_) continue;
    } else if (t && full) {
      read_children(*t);
      children_fresh = true;
    }
    if (!t) {
      if (!fresh) continue;
      t = open_process(pid);
      if (!t || !read_memory(*t, with_hwm, memory, hwm_ok)) {
        procs_.erase(pid);
        if (pid == root_pid_) root_gone_ = true;
        continue;
      }
      read_children(*t);
      children_fresh = true;
    }
    t->round = round_;
    found.push_back(pid);
    const bool first_time = t->identity_reads == 0;
    if (registry_ && first_time) registry_->saw(pid, role_);
    if (snapshot) {
      if (first_time || (with_hwm && t->identity_reads < kIdentityReads)) {
        read_identity(*t, memory);
      }
      snapshot->processes.push_back(memory);
    }
    for (int child : t->children) frontier.emplace_back(child, children_fresh);
  }
  std::erase_if(procs_, [&](const auto& entry) {
    if (entry.second->round == round_) return false;
    member_vanished_ = true;
    return true;
  });
  if (snapshot) {
    snapshot->hwm_complete = with_hwm && hwm_ok;
    const Reaper& reaper = Reaper::instance();
    for (const ExitInfo& exit : reaper.exits_after(reaper_cursor_)) {
      reaper_cursor_ = exit.sequence;
      if (exit.pid == root_pid_ || (!exit.launched && mine(exit.pid))) {
        snapshot->exits.push_back({exit.pid, exit.max_rss_bytes});
      }
    }
  }
  return found;
}

TreeSnapshot ProcTreeSource::read(bool with_hwm) {
  TreeSnapshot snapshot;
  walk(with_hwm, &snapshot);
  return snapshot;
}

std::vector<int> ProcTreeSource::pids() { return walk(false, nullptr); }

}  // namespace memgate
