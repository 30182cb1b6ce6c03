#include "runtime/process/sut_process.hpp"

#include <fcntl.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <cstring>
#include <filesystem>
#include <string_view>

extern char** environ;

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"
#include "runtime/process/tree_stopper.hpp"
#include "runtime/watch/proc_tree_source.hpp"

namespace bp = boost::process;

namespace memgate {

namespace {

// Debian packages of programs scenarios commonly start, for the "not found" hint.
std::string install_hint(const std::string& name) {
  static const std::map<std::string, std::string> kPackages = {
      {"redis-server", "redis-server"}, {"redis-benchmark", "redis-tools"},
      {"redis-cli", "redis-tools"},     {"python3", "python3"},
  };
  const auto it = kPackages.find(name);
  if (it != kPackages.end()) {
    return fmt::format("install it with `make deps` or `sudo apt-get install {}`", it->second);
  }
  return "install it, or give its full path";
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw RunError(std::string("pipe() failed: ") + std::strerror(errno));
    }
    read = fds[0];
    write = fds[1];
  }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string resolve_program(const std::string& argv0, const std::string& cwd,
                            const std::map<std::string, std::string>& env) {
  namespace fs = std::filesystem;
  if (argv0.find('/') != std::string::npos) {
    fs::path p(argv0);
    if (p.is_relative() && !cwd.empty()) p = fs::path(cwd) / p;
    if (::access(p.c_str(), X_OK) != 0) {
      throw RunError(fmt::format("cannot run '{}': {}", p.string(), std::strerror(errno)),
                     "check sut.command[0] and sut.cwd; test SUTs are built by `make build`");
    }
    return p.string();
  }
  std::vector<boost::filesystem::path> dirs;
  const auto path_override = env.find("PATH");
  if (path_override != env.end()) {
    std::string list = path_override->second;
    for (std::size_t start = 0, end; start <= list.size(); start = end + 1) {
      end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      dirs.emplace_back(list.substr(start, end - start));
    }
  } else {
    dirs = boost::this_process::path();
  }
  const auto found = bp::search_path(argv0, dirs);
  if (found.empty()) {
    throw RunError(fmt::format("'{}' not found on PATH", argv0), install_hint(argv0));
  }
  return found.string();
}

SutProcess::SutProcess(const LaunchSpec& spec) {
  if (spec.argv.empty()) throw RunError("the SUT's command is empty");
  program_ = resolve_program(spec.argv[0], spec.cwd, spec.env);
  if (!spec.cwd.empty() && !std::filesystem::is_directory(spec.cwd)) {
    throw RunError(fmt::format("the SUT's working folder '{}' does not exist", spec.cwd),
                   "check sut.cwd (relative to the scenario file's folder)");
  }

  // The SUT's environment: memgate's, with the scenario's variables set. Built here as an
  // envp array and handed to execve from the child (Boost.Process 1.74's environment lookup
  // reads past the end of short entries: found by AddressSanitizer).
  std::vector<std::string> env_entries;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto key = entry.substr(0, entry.find('='));
    if (spec.env.count(std::string(key)) == 0) env_entries.emplace_back(entry);
  }
  for (const auto& [key, value] : spec.env) env_entries.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  char** const envp_data = envp.data();

  Pipe output;
  std::optional<Pipe> in, out;
  if (spec.pipe_stdin) in.emplace();
  const bool stdout_apart = spec.stdout_lines > 0 && !spec.inherit_output;
  if (spec.pipe_stdout || stdout_apart) out.emplace();
  const int stdout_target = out ? out->write : output.write;
  const int stdin_source = in ? in->read : -1;
  const bool inherit = spec.inherit_output;
  const pid_t parent = ::getpid();
  const int cgroup_fd = spec.cgroup_procs_fd;

  // Runs in the child between fork and exec: async-signal-safe calls only.
  const auto child_setup = [=](auto& exec) {
    exec.env = envp_data;
    ::setpgid(0, 0);                      // own process group: the tree is signalled as one
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);   // memgate killed -> SUT killed (see class comment)
    if (::getppid() != parent) ::_exit(127);  // memgate died before prctl took effect
    if (cgroup_fd >= 0) {
      [[maybe_unused]] auto n = ::write(cgroup_fd, "0", 1);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // memgate ignores SIGPIPE; the SUT must not inherit that
    if (!inherit) {
      if (::dup2(stdout_target, 1) < 0 || ::dup2(output.write, 2) < 0) ::_exit(127);
    }
    if (stdin_source >= 0) {
      if (::dup2(stdin_source, 0) < 0) ::_exit(127);
    } else {
      const int null_fd = ::open("/dev/null", O_RDONLY);
      if (null_fd >= 0) ::dup2(null_fd, 0);
    }
    // dup2(fd, fd) keeps close-on-exec (when memgate started with 0-2 closed, a pipe may sit
    // there already): clear it on the standard descriptors.
    for (int fd = 0; fd <= 2; ++fd) ::fcntl(fd, F_SETFD, 0);
    // No descriptor of memgate (sockets, /proc files, logs) leaks into the SUT.
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  };

  std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
  std::error_code ec;
  // PR_SET_PDEATHSIG fires when the forking *thread* ends: memgate launches from its main thread.
  const Reaper::Launched launched = Reaper::instance().launch([&] {
    bp::child child(bp::exe = program_, bp::args = args, bp::start_dir = spec.cwd.empty() ? std::string(".") : spec.cwd,
                    bp::extend::on_exec_setup = child_setup, ec);
    if (ec) return -1;
    const int pid = child.id();
    child.detach();  // the Reaper, not Boost.Process, waits for it
    return pid;
  });
  pid_ = launched.pid;
  launch_sequence_ = launched.sequence;
  close_fd(output.write);
  if (in) close_fd(in->read);
  if (out) close_fd(out->write);
  if (pid_ < 0) {
    close_fd(output.read);
    if (in) close_fd(in->write);
    if (out) close_fd(out->read);
    throw RunError(fmt::format("cannot start '{}': {}", program_, ec.message()));
  }
  ::setpgid(pid_, pid_);  // also from the parent: no window where a signal to the group misses
  if (inherit) {
    close_fd(output.read);
  } else {
    try {
      pump_ = std::make_unique<OutputPump>(output.read, spec.log_path, spec.watched_texts, 30,
                                           spec.log_masking);
      output.read = -1;
      if (stdout_apart) {
        stdout_pump_ = std::make_unique<OutputPump>(out->read, spec.stdout_log_path,
                                                    std::vector<std::string>{}, spec.stdout_lines,
                                                    spec.log_masking);
        out->read = -1;
      }
    } catch (...) {
      close_fd(output.read);
      if (out) close_fd(out->read);
      stop(0);  // the destructor will not run: stop the SUT here
      throw;
    }
  }
  if (in) stdin_fd_ = in->write;
  if (out && !stdout_apart) stdout_fd_ = out->read;
}

SutProcess::~SutProcess() {
  stop(0);
  close_stdin();
  close_fd(stdout_fd_);
}

std::vector<std::string> SutProcess::log_tail() const {
  constexpr std::size_t kStdoutLines = 10;
  std::vector<std::string> lines = stdout_tail();
  if (lines.size() > kStdoutLines) lines.erase(lines.begin(), lines.end() - kStdoutLines);
  if (pump_) {
    for (auto& line : pump_->tail()) lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> SutProcess::stdout_tail() const {
  return stdout_pump_ ? stdout_pump_->tail() : std::vector<std::string>{};
}

void SutProcess::close_stdin() { close_fd(stdin_fd_); }

std::vector<int> SutProcess::members(ProcTreeSource& tree) const {
  std::vector<int> pids = tree.pids();
  if (extra_pids_) {
    for (int pid : extra_pids_()) {
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
    }
  }
  return pids;
}

namespace {
// For listing a tree's pids: no memory figures, no high-water marks to reset.
const WatchSpec kListOnly{.exact_peak = false};
}  // namespace

std::vector<int> SutProcess::tree_pids() {
  ProcTreeSource tree(pid_, kListOnly, launch_sequence_, registry_, role_);
  return members(tree);
}

std::int64_t SutProcess::cpu_us() {
  static const std::int64_t kTicksPerS = ::sysconf(_SC_CLK_TCK);
  // The live members first, then the exits: a member reaped meanwhile has both, and its exit
  // record (its whole life) replaces the live reading.
  std::map<int, std::int64_t> by_pid;
  for (int pid : tree_pids()) {
    const auto stat = procfs::parse_stat(read_text_file(fmt::format("/proc/{}/stat", pid)));
    if (!stat) continue;  // gone meanwhile: its exit record, or its parent's, counts it
    std::int64_t us = stat->children_ticks * 1'000'000 / kTicksPerS;
    clockid_t clock;
    timespec ts{};
    if (::clock_getcpuclockid(pid, &clock) == 0 && ::clock_gettime(clock, &ts) == 0) {
      us += ts.tv_sec * 1'000'000LL + ts.tv_nsec / 1000;
    } else {
      us += stat->self_ticks * 1'000'000 / kTicksPerS;
    }
    by_pid[pid] = us;
  }
  for (const ExitInfo& exit : Reaper::instance().exits_after(launch_sequence_)) {
    const bool mine = exit.pid == pid_ ||
                      (!exit.launched && (!registry_ || registry_->role_of_orphan(exit.pid) == role_));
    if (mine) by_pid[exit.pid] = exit.cpu_us;
  }
  std::int64_t total = 0;
  for (const auto& [pid, us] : by_pid) total += us;
  return total;
}

std::optional<ExitInfo> SutProcess::stop(double grace_s) {
  if (!stopped_) {
    stopped_ = true;
    ProcTreeSource tree(pid_, kListOnly, launch_sequence_, registry_, role_);
    StopResult result = stop_process_tree(pid_, [&] { return members(tree); }, grace_s);
    stop_result_ = result.root;
    survivors_ = std::move(result.survivors);
    killed_ = result.killed;
    if (pump_) pump_->stop();
    if (stdout_pump_) stdout_pump_->stop();
  }
  return stop_result_ ? stop_result_ : exit_info();
}

}  // namespace memgate
