#include "runtime/run/real_backend.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
#include "runtime/drivers/driver_factory.hpp"
#include "runtime/drivers/redis_info_probe.hpp"
#include "runtime/process/interrupt.hpp"
#include "runtime/process/net.hpp"
#include "runtime/process/sut_process.hpp"
#include "runtime/run/readiness.hpp"
#include "runtime/run/run_warnings.hpp"
#include "runtime/watch/cgroup_peak.hpp"
#include "runtime/watch/proc_tree_source.hpp"
#include "runtime/watch/task_exits.hpp"

namespace memgate {

// A role's process tree, in a memory cgroup of its own where the machine allows one.
class RealProcess : public RoleProcess {
 public:
  RealProcess(const RoleLaunch& launch, RoleRegistry& registry) : role_(launch.role->name) {
    std::string no_cgroup;
    cgroup_ = CgroupPeak::try_create(no_cgroup);  // the SUT's processes join it before exec
    LaunchSpec spec;
    spec.argv = launch.role->command;
    spec.env = launch.role->env;
    spec.cwd = launch.role->cwd;
    spec.log_path = launch.log_path;
    spec.inherit_output = launch.inherit_output;
    spec.pipe_stdin = spec.pipe_stdout = launch.stdin_channel;
    spec.stdout_lines = launch.stdout_lines;
    spec.stdout_log_path = launch.stdout_log_path;
    // sut.log is the SUT's own words, byte for byte; what memgate copies of others is masked.
    spec.log_masking = role_ == "sut" ? LogMasking::none : LogMasking::secrets;
    for (const auto& probe : launch.role->ready) {
      if (const auto* log = std::get_if<ReadyLog>(&probe.how)) {
        spec.watched_texts.push_back(log->text);
      }
    }
    if (cgroup_) spec.cgroup_procs_fd = cgroup_->procs_fd();
    process_ = std::make_unique<SutProcess>(spec);
    if (cgroup_ && process_->running() && !cgroup_->contains(process_->pid())) {
      warnings_.push_back(
          fmt::format("{} could not join its memory cgroup: no cgroup peak", who(role_)));
      cgroup_.reset();
    }
    // The registry may ask after this object is gone (the backend outlives it): the lambda
    // shares the cgroup rather than pointing at this object.
    const std::function<std::vector<int>()> cgroup_pids =
        cgroup_ ? std::function<std::vector<int>()>([cgroup = cgroup_] { return cgroup->pids(); })
                : std::function<std::vector<int>()>();
    process_->set_extra_pids(cgroup_pids);
    process_->set_registry(&registry, role_);
    registry.add_role(role_, process_->pid(), cgroup_pids);
  }

  int pid() const override { return process_->pid(); }
  std::optional<ExitInfo> exit_info() const override { return process_->exit_info(); }
  std::vector<std::string> log_tail() const override { return process_->log_tail(); }
  std::vector<std::string> stdout_tail() const override { return process_->stdout_tail(); }
  SutChannel channel() const override { return {process_->stdin_fd(), process_->stdout_fd()}; }
  std::vector<int> tree_pids() override { return process_->tree_pids(); }
  std::int64_t cpu_us() override { return process_->cpu_us(); }
  std::optional<std::int64_t> cgroup_peak_bytes() const override {
    return cgroup_ ? cgroup_->peak_bytes() : std::nullopt;
  }
  std::vector<std::string> launch_warnings() const override { return warnings_; }
  Stopped stop(double grace_s) override {
    process_->stop(grace_s);
    return {process_->killed(), process_->survivors()};
  }

  SutProcess& process() { return *process_; }
  std::uint64_t launch_sequence() const { return process_->launch_sequence(); }
  const std::string& role() const { return role_; }

 private:
  std::string role_;
  std::shared_ptr<CgroupPeak> cgroup_;  // outlives process_: declared first
  std::unique_ptr<SutProcess> process_;
  std::vector<std::string> warnings_;
};

// The CPU the kernel's own threads (ksoftirqd, kworkers) used since the first reading: they work
// for whoever caused the work, mostly the run's own traffic, so they are no neighbour. Counted
// per thread as what it used between two readings, so a kernel thread that exits takes nothing
// back (its lifetime was never in the sum), and one that appears brings only its short life.
std::int64_t RealBackend::kernel_threads_ticks() {
  std::map<int, std::int64_t> now;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] < '0' || name[0] > '9') continue;
    const auto stat = procfs::parse_stat(read_text_file(entry.path().string() + "/stat"));
    if (stat && stat->kernel_thread) now[std::stoi(name)] = stat->self_ticks;
  }
  if (read_kernel_threads_) {
    for (const auto& [pid, ticks] : now) {
      const auto before = kernel_threads_.find(pid);
      kernel_ticks_ += ticks - (before != kernel_threads_.end() ? before->second : 0);
    }
  }
  read_kernel_threads_ = true;
  kernel_threads_ = std::move(now);
  return kernel_ticks_;
}

MachineCpuTime RealBackend::machine_cpu() {
  static const std::int64_t kTicksPerS = ::sysconf(_SC_CLK_TCK);
  const auto stat = procfs::parse_proc_stat(read_text_file("/proc/stat"));
  if (!stat) return {};
  const auto us = [](std::int64_t ticks) { return ticks * 1'000'000 / kTicksPerS; };
  return {us(stat->idle_ticks), us(stat->steal_ticks),
          us(stat->interrupt_ticks + kernel_threads_ticks()), std::max(1, stat->cpus)};
}

std::int64_t RealBackend::self_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return rusage_cpu_us(usage);
}

RunBackend::Clock::time_point RealBackend::now() {
  return Clock::now();
}

void RealBackend::sleep_ms(double ms) {
  interrupt::sleep_for(ms);
}

std::optional<std::string> RealBackend::interruption() {
  if (!interrupt::requested()) return std::nullopt;
  return fmt::format("interrupted by SIG{}", sigabbrev_np(interrupt::signal_number()));
}

bool RealBackend::hurry() {
  return interrupt::count() >= 2;
}

std::map<std::string, int> RealBackend::pick_ports(const std::set<std::string>& names) {
  std::map<std::string, int> ports;
  std::set<int> taken;
  for (const auto& name : names) {
    int port = net::free_loopback_port();
    // Two names never share a port (the kernel may hand the same free port out twice).
    for (int attempt = 0; taken.count(port) > 0 && attempt < 100; ++attempt) {
      port = net::free_loopback_port();
    }
    taken.insert(port);
    ports[name] = port;
  }
  return ports;
}

void RealBackend::prepare_run_dir(const Scenario& scenario, const std::string& run_dir) {
  namespace fs = std::filesystem;
  if (const std::error_code ec = make_folders(run_dir)) {
    throw RunError(fmt::format("cannot create the run folder {}: {}", run_dir, ec.message()),
                   "choose another report folder with --out");
  }
  write_file_atomic((fs::path(run_dir) / kRunDirMarker).string(),
                    "a run folder of memgate: removed when the report folder is reused\n");
  for (const RoleSpec* role : scenario.roles()) {
    for (const FileTemplate& file : role->files) {
      const fs::path path = fs::path(run_dir) / file.destination;
      if (const std::error_code ec = make_folders(path.parent_path().string())) {
        throw RunError(
            fmt::format("cannot create the folder of {}: {}", path.string(), ec.message()),
            "choose another report folder with --out");
      }
      write_file_atomic(path.string(), file.text, Masking::none);  // the process's input
    }
  }
}

std::unique_ptr<RoleProcess> RealBackend::launch(const RoleLaunch& launch) {
  auto process = std::make_unique<RealProcess>(launch, registry_);
  launched_[process.get()] = process.get();
  return process;
}

RealProcess& RealBackend::launched(const RoleProcess& process) const {
  const auto it = launched_.find(&process);
  if (it == launched_.end()) throw std::logic_error("a process this backend did not launch");
  return *it->second;
}

std::vector<std::string> RealBackend::wait_ready(RoleProcess& process, const RoleSpec& role) {
  RealProcess& real = launched(process);
  const std::string key = role.name == "sut" ? "sut.ready" : "services." + role.name + ".ready";
  std::vector<std::string> warnings;
  for (std::size_t i = 0; i < role.ready.size(); ++i) {
    auto warning = wait_until_ready(
        real.process(), role.ready[i], who(role.name),
        role.ready.size() > 1 ? fmt::format("{}.{}.timeout_s", key, i) : key + ".timeout_s");
    if (warning) warnings.push_back(std::move(*warning));
  }
  return warnings;
}

std::unique_ptr<MemoryWatch> RealBackend::watch(
    const std::vector<std::pair<std::string, RoleProcess*>>& trees, const WatchSpec& spec,
    Clock::time_point t0) {
  std::vector<WatchedTree> watched;
  for (const auto& [role, process] : trees) {
    watched.push_back({role, process ? tree_source(*process, role, spec) : nullptr});
  }
  WatchOptions options;
  options.interval_ms = spec.interval_ms;
  options.memory = spec.memory;
  options.exact_peak = spec.exact_peak;
  auto watcher = std::make_unique<Watcher>(std::move(watched), options, t0);
  std::string why_none;
  auto records = TaskExitFeed::open(why_none);
  watcher->set_exit_records(std::move(records), why_none);
  watchers_[watcher.get()] = watcher.get();
  return watcher;
}

void RealBackend::watch_more(MemoryWatch& watch, const std::string& role, RoleProcess& process,
                             const WatchSpec& spec) {
  const auto it = watchers_.find(&watch);
  if (it == watchers_.end()) throw std::logic_error("a watch this backend did not make");
  it->second->add_source(role, tree_source(process, role, spec));
}

std::unique_ptr<TreeSource> RealBackend::tree_source(RoleProcess& process, const std::string& role,
                                                     const WatchSpec& spec) {
  RealProcess& real = launched(process);
  return std::make_unique<ProcTreeSource>(real.pid(), spec, real.launch_sequence(), &registry_,
                                          role);
}

std::unique_ptr<Driver> RealBackend::make_driver(const Scenario& scenario) {
  return memgate::make_driver(scenario);
}

std::unique_ptr<SideProbe> RealBackend::make_probe(const DriverTraits& traits, int interval_ms,
                                                   Clock::time_point t0) {
  if (!traits.redis) return nullptr;
  return std::make_unique<RedisInfoProbe>(*traits.redis, interval_ms, t0);
}

std::unique_ptr<RunBackend> real_backend() {
  return std::make_unique<RealBackend>();
}

}  // namespace memgate
