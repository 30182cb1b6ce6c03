// mg-test-sut: a small real program whose memory behaviour tests set with arguments. It prints
// what it did, one line per step, so tests synchronise on its output instead of sleeping.
//
//   --alloc-mib N       allocate and touch N MiB at start, keep them       -> "allocated"
//   --children K        fork K children that each touch --child-mib MiB and wait for SIGUSR1
//   --child-mib M                                                           -> "children-ready"
//   --spike-mib N       touch N MiB, hold --spike-ms, free                  -> "spike-done"
//   --spike-ms M
//   --orphan            fork a process that outlives this one (--child-mib) -> "orphan-started"
//   --daemon-child      double-fork a daemon: own session (setsid), no parent-death signal,
//                       its parent gone at once (--child-mib)               -> "daemon-started"
//   --thread-child-mib M  a thread forks a child that touches M MiB and waits ->
//   "thread-child-ready"
//   --spike-delay-ms D  wait D ms before the spike
//   --short-children K  K processes that each touch --child-mib MiB, all alive together, and
//   --child-ms T        exit T ms later; double-forked, so memgate (the subreaper) reaps them
//   --delay-ms D        while this one lives on; D ms after start     -> "short-children-done"
//   --map-mib M         map a file of M MiB and read every page (file-backed memory) -> "mapped"
//   --ignore-sigterm    SIGTERM does nothing (memgate must SIGKILL)
//   --count-sigterm D   every process (children too, which then outlive their parent) prints
//                       "sigterm pid=P" for each SIGTERM it gets, and exits D ms after the first
//   --hold              wait for SIGUSR1 before exiting                     -> "holding"
//                       then prints its own getrusage peak            -> "own-peak-kib=N"
//   --crash             die by SIGSEGV instead of exiting
//   --exit-code N       exit with N
//   --ready-text TEXT   print TEXT once set up
//   --run-ms T          then work for T ms before exiting (or holding)
//   --leak-bytes-per-ms B  while working, touch B more bytes every ms and never free them
//   --extra-mib X       touch X MiB more at start (a bigger footprint)
//   --jitter-mib J      touch a random 0..J MiB more at start (noise between runs)
//   --spin              keep one CPU busy until killed (a neighbour)        -> "spinning"
//   --print-own-peak    print its own getrusage peak before exiting   -> "own-peak-kib=N"
//   --version           print "mg-test-sut 1.0" and exit
// The variable MG_TEST_SUT_EXTRA adds arguments (space-separated): tests change the SUT's
// behaviour from outside the scenario, as a new release of a real SUT would.
// Every step also prints "pids: ..." with the pids of the processes it created.

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  long alloc_mib = 0;
  int children = 0;
  long child_mib = 0;
  long spike_mib = 0;
  long spike_ms = 0;
  bool orphan = false;
  bool daemon_child = false;
  long thread_child_mib = 0;
  long spike_delay_ms = 0;
  bool ignore_sigterm = false;
  long count_sigterm_ms = 0;
  bool spin = false;
  bool hold = false;
  bool crash = false;
  int exit_code = 0;
  std::string ready_text;
  long run_ms = 0;
  long leak_bytes_per_ms = 0;
  long jitter_mib = 0;
  long extra_mib = 0;
  int short_children = 0;
  int sequential_children = 0;
  long first_child_extra_mib = 0;  // --children: the first one touches this much more
  long child_ms = 0;
  long map_mib = 0;
  long delay_ms = 0;
  bool print_own_peak = false;
};

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Maps and touches every page of mib MiB, so it counts in RSS.
char* touch_mib(long mib) {
  const std::size_t bytes = static_cast<std::size_t>(mib) << 20;
  if (bytes == 0) return nullptr;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(90);
  }
  std::memset(p, 0x5a, bytes);
  return static_cast<char*>(p);
}

long g_sigterm_exit_ms = 0;

// Async-signal-safe: "sigterm pid=P\n", then SIGALRM (default: the end) after the delay.
void on_sigterm(int) {
  char line[48] = "sigterm pid=";
  std::size_t n = std::strlen(line);
  char digits[16];
  int k = 0;
  for (long pid = getpid(); pid > 0; pid /= 10) digits[k++] = static_cast<char>('0' + pid % 10);
  while (k > 0) line[n++] = digits[--k];
  line[n++] = '\n';
  [[maybe_unused]] auto written = write(1, line, n);
  itimerval timer{};
  timer.it_value.tv_sec = g_sigterm_exit_ms / 1000;
  timer.it_value.tv_usec = (g_sigterm_exit_ms % 1000) * 1000;
  itimerval none{};
  getitimer(ITIMER_REAL, &none);
  if (none.it_value.tv_sec == 0 && none.it_value.tv_usec == 0) setitimer(ITIMER_REAL, &timer, nullptr);
}

void wait_usr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  int sig = 0;
  sigwait(&set, &sig);
}

Options parse(std::vector<std::string> args) {
  Options o;
  const int argc = static_cast<int>(args.size());
  std::vector<char*> argv_storage;
  for (auto& a : args) argv_storage.push_back(a.data());
  char** argv = argv_storage.data();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mg-test-sut: %s needs a value\n", a.c_str());
        std::exit(64);
      }
      return argv[++i];
    };
    if (a == "--alloc-mib") o.alloc_mib = std::atol(next());
    else if (a == "--children") o.children = std::atoi(next());
    else if (a == "--sequential-children")
      o.sequential_children = std::atoi(next());
    else if (a == "--first-child-extra-mib")
      o.first_child_extra_mib = std::atol(next());
    else if (a == "--child-mib") o.child_mib = std::atol(next());
    else if (a == "--short-children")
      o.short_children = std::atoi(next());
    else if (a == "--child-ms")
      o.child_ms = std::atol(next());
    else if (a == "--map-mib")
      o.map_mib = std::atol(next());
    else if (a == "--delay-ms")
      o.delay_ms = std::atol(next());
    else if (a == "--print-own-peak")
      o.print_own_peak = true;
    else if (a == "--spike-mib") o.spike_mib = std::atol(next());
    else if (a == "--spike-ms") o.spike_ms = std::atol(next());
    else if (a == "--orphan") o.orphan = true;
    else if (a == "--daemon-child") o.daemon_child = true;
    else if (a == "--thread-child-mib") o.thread_child_mib = std::atol(next());
    else if (a == "--spike-delay-ms") o.spike_delay_ms = std::atol(next());
    else if (a == "--ignore-sigterm") o.ignore_sigterm = true;
    else if (a == "--count-sigterm") o.count_sigterm_ms = std::atol(next());
    else if (a == "--spin") o.spin = true;
    else if (a == "--hold") o.hold = true;
    else if (a == "--crash") o.crash = true;
    else if (a == "--exit-code") o.exit_code = std::atoi(next());
    else if (a == "--ready-text") o.ready_text = next();
    else if (a == "--run-ms") o.run_ms = std::atol(next());
    else if (a == "--leak-bytes-per-ms") o.leak_bytes_per_ms = std::atol(next());
    else if (a == "--jitter-mib") o.jitter_mib = std::atol(next());
    else if (a == "--extra-mib") o.extra_mib = std::atol(next());
    else if (a == "--version") {
      std::printf("mg-test-sut 1.0\n");
      std::exit(0);
    }
    else {
      std::fprintf(stderr, "mg-test-sut: unknown argument %s\n", a.c_str());
      std::exit(64);
    }
  }
  return o;
}

}  // namespace

// Sleeps until start + ms (absolute: the work keeps its pace whatever each step costs).
void sleep_until_ms(const timespec& start, long ms) {
  timespec t = start;
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1'000'000;
  if (t.tv_nsec >= 1'000'000'000) {
    t.tv_sec += 1;
    t.tv_nsec -= 1'000'000'000;
  }
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr);
}

// Writes a file of mib MiB (unlinked at once), maps it and reads every page: file-backed pages
// that count in RSS but are not anonymous.
void map_file_mib(long mib) {
  char path[] = "/tmp/mg-test-sut-map-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) std::exit(94);
  unlink(path);
  const std::size_t bytes = static_cast<std::size_t>(mib) << 20;
  std::vector<char> chunk(1 << 20, 'm');
  for (long i = 0; i < mib; ++i) {
    if (write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) std::exit(95);
  }
  void* p = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) std::exit(96);
  long sum = 0;
  for (std::size_t off = 0; off < bytes; off += 4096) {
    sum += *static_cast<const volatile char*>(static_cast<char*>(p) + off);
  }
  if (sum == 0) std::exit(99);
  close(fd);
}

// K children one after another, each waited for before the next: a fresh image of this program
// (exec) that touches child_mib MiB, holds it child_ms and exits. As a shell runs commands.
void sequential_children(const Options& o) {
  const std::string mib = std::to_string(o.child_mib), ms = std::to_string(o.child_ms);
  for (int i = 0; i < o.sequential_children; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      unsetenv("MG_TEST_SUT_EXTRA");  // the parent's options are not the child's
      execl("/proc/self/exe", "mg-test-sut", "--alloc-mib", mib.c_str(), "--run-ms", ms.c_str(),
            static_cast<char*>(nullptr));
      _exit(96);
    }
    waitpid(child, nullptr, 0);
  }
}

// K grandchildren (each child forks one and exits at once: this process reaps the child, the
// subreaper the grandchild) touch their MiB, wait until all have, hold child_ms, exit. Returns
// when every grandchild is gone (their end of `done` closed).
void short_children(const Options& o) {
  int touched[2], go[2], done[2];
  if (pipe(touched) != 0 || pipe(go) != 0 || pipe(done) != 0) std::exit(97);
  for (int i = 0; i < o.short_children; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      if (fork() == 0) {
        close(touched[0]);
        close(go[1]);
        close(done[0]);
        touch_mib(o.child_mib);
        [[maybe_unused]] auto n = write(touched[1], "x", 1);
        char buf;
        [[maybe_unused]] auto r = read(go[0], &buf, 1);  // EOF: all touched
        usleep(static_cast<useconds_t>(o.child_ms * 1000));
        _exit(0);
      }
      _exit(0);
    }
    waitpid(child, nullptr, 0);
  }
  close(touched[1]);
  close(done[1]);
  char buf;
  for (int i = 0; i < o.short_children; ++i) {
    if (read(touched[0], &buf, 1) != 1) std::exit(98);
  }
  close(go[1]);
  close(go[0]);
  while (read(done[0], &buf, 1) > 0) {
  }
  close(touched[0]);
  close(done[0]);
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (const char* extra = std::getenv("MG_TEST_SUT_EXTRA")) {
    std::istringstream words(extra);
    for (std::string w; words >> w;) args.push_back(w);
  }
  const Options o = parse(args);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, nullptr);  // taken with sigwait only
  if (o.ignore_sigterm) signal(SIGTERM, SIG_IGN);
  if (o.count_sigterm_ms > 0) {
    g_sigterm_exit_ms = o.count_sigterm_ms;
    signal(SIGTERM, on_sigterm);
  }
  say("pids: " + std::to_string(getpid()));

  if (o.alloc_mib > 0) {
    touch_mib(o.alloc_mib);
    say("allocated");
  }
  if (o.extra_mib > 0) touch_mib(o.extra_mib);
  if (o.jitter_mib > 0) {
    std::srand(static_cast<unsigned>(getpid() ^ time(nullptr)));
    touch_mib(std::rand() % (o.jitter_mib + 1));
  }

  std::vector<pid_t> children;
  if (o.children > 0) {
    int ready[2];
    if (pipe(ready) != 0) return 91;
    for (int i = 0; i < o.children; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        if (o.count_sigterm_ms == 0) prctl(PR_SET_PDEATHSIG, SIGKILL);
        touch_mib(o.child_mib);
        if (i == 0) touch_mib(o.first_child_extra_mib);
        [[maybe_unused]] auto n = write(ready[1], "x", 1);
        wait_usr1();
        _exit(0);
      }
      children.push_back(pid);
      say("pids: " + std::to_string(pid));
    }
    char buf;
    for (int i = 0; i < o.children; ++i) {
      if (read(ready[0], &buf, 1) != 1) return 92;
    }
    say("children-ready");
  }

  if (o.map_mib > 0) {
    map_file_mib(o.map_mib);
    say("mapped");
  }

  if (o.short_children > 0) {
    usleep(static_cast<useconds_t>(o.delay_ms * 1000));
    short_children(o);
    say("short-children-done");
  }
  if (o.sequential_children > 0) {
    usleep(static_cast<useconds_t>(o.delay_ms * 1000));
    sequential_children(o);
    say("sequential-children-done");
  }

  if (o.spike_mib > 0) {
    usleep(static_cast<useconds_t>(o.spike_delay_ms * 1000));
    char* spike = touch_mib(o.spike_mib);
    usleep(static_cast<useconds_t>(o.spike_ms * 1000));
    munmap(spike, static_cast<std::size_t>(o.spike_mib) << 20);
    say("spike-done");
  }

  if (o.orphan) {
    const pid_t pid = fork();
    if (pid == 0) {
      if (o.ignore_sigterm) signal(SIGTERM, SIG_IGN);
  if (o.count_sigterm_ms > 0) {
    g_sigterm_exit_ms = o.count_sigterm_ms;
    signal(SIGTERM, on_sigterm);
  }
      touch_mib(o.child_mib);
      for (;;) pause();  // outlives its parent until someone kills it
    }
    say("pids: " + std::to_string(pid));
    say("orphan-started");
  }

  if (o.daemon_child) {
    int started[2];
    if (pipe(started) != 0) return 93;
    const pid_t middle = fork();
    if (middle == 0) {
      if (fork() == 0) {
        setsid();  // out of the SUT's process group and session
        if (o.ignore_sigterm) signal(SIGTERM, SIG_IGN);
  if (o.count_sigterm_ms > 0) {
    g_sigterm_exit_ms = o.count_sigterm_ms;
    signal(SIGTERM, on_sigterm);
  }
        touch_mib(o.child_mib);
        say("pids: " + std::to_string(getpid()));
        [[maybe_unused]] auto n = write(started[1], "x", 1);
        for (;;) pause();
      }
      _exit(0);  // the daemon is an orphan from here on
    }
    waitpid(middle, nullptr, 0);
    char buf;
    if (read(started[0], &buf, 1) != 1) return 94;
    say("daemon-started");
  }

  std::thread thread_child;
  pid_t thread_child_pid = 0;
  if (o.thread_child_mib > 0) {
    int ready[2];
    if (pipe(ready) != 0) return 95;
    // fork() from a thread other than the main one: its child hangs off that thread's
    // /proc/PID/task/TID/children list. The thread waits for the child, so it outlives it.
    thread_child = std::thread([&, ready_fd = ready[1]] {
      const pid_t pid = fork();
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        touch_mib(o.thread_child_mib);
        [[maybe_unused]] auto n = write(ready_fd, "x", 1);
        wait_usr1();
        _exit(0);
      }
      thread_child_pid = pid;
      waitpid(pid, nullptr, 0);
    });
    char buf;
    if (read(ready[0], &buf, 1) != 1) return 96;
    say("thread-child-ready");
  }

  if (!o.ready_text.empty()) say(o.ready_text);
  if (o.spin) {
    say("spinning");
    volatile std::uint64_t x = 1;
    while (true) x = x * 6364136223846793005ULL + 1;
  }
  if (o.run_ms > 0) {
    timespec start{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    std::vector<char*> leaked;
    for (long ms = 1; ms <= o.run_ms; ++ms) {
      if (o.leak_bytes_per_ms > 0) {
        char* p = static_cast<char*>(std::malloc(static_cast<std::size_t>(o.leak_bytes_per_ms)));
        std::memset(p, 0x6b, static_cast<std::size_t>(o.leak_bytes_per_ms));
        leaked.push_back(p);  // never freed: the leak
      }
      sleep_until_ms(start, ms);
    }
    say("worked");
  }
  if (o.crash) raise(SIGSEGV);
  if (o.hold) {
    say("holding");
    wait_usr1();
    say("released");
  }
  if (o.hold || o.print_own_peak) {
    rusage own{};
    getrusage(RUSAGE_SELF, &own);
    say("own-peak-kib=" + std::to_string(own.ru_maxrss));  // what the program reads of itself
  }
  for (pid_t child : children) kill(child, SIGUSR1);
  for (pid_t child : children) waitpid(child, nullptr, 0);
  if (thread_child.joinable()) {
    kill(thread_child_pid, SIGUSR1);
    thread_child.join();
  }
  return o.exit_code;
}
