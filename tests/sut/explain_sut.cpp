// mg-explain-sut: a native program whose heap allocations `memgate explain` tests know exactly.
// Each function allocates with malloc or new and is kept out of line, so heaptrack names it.
//
//   --parser-leaks N   leak N blocks of --bytes in parse_record()        (release 1 and 2)
//   --cache-leaks N    leak N blocks of --bytes in remember_session()    (release 2's new leak)
//   --bytes B          block size (default 4096)
//   --scratch-mib M    allocate, touch and free M MiB in build_scratch() (a peak, no leak)
//   --helper-leaks N   leak N blocks of --bytes in cache_put_leaky(), through touch()
//   --helper-spike-mib M  allocate, touch and free M MiB in scratch_spike(), through the same
//                      touch(): one allocating function, a leak and a spike from two callers
//   --wait-sigterm     then print "waiting" and exit normally on SIGTERM (a service's life)
// Prints "done" when the work is done; exits 0.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile sig_atomic_t stop_requested = 0;

__attribute__((noinline)) void* parse_record(std::size_t bytes) {
  void* record = std::malloc(bytes);
  std::memset(record, 'p', bytes);
  return record;  // the caller drops it: a leak
}

__attribute__((noinline)) void remember_session(std::size_t bytes) {
  char* session = new char[bytes];
  std::memset(session, 's', bytes);
  asm volatile("" : : "r"(session) : "memory");  // never freed
}

__attribute__((noinline)) void build_scratch(std::size_t bytes) {
  char* scratch = static_cast<char*>(std::malloc(bytes));
  std::memset(scratch, 't', bytes);
  asm volatile("" : : "r"(scratch) : "memory");
  std::free(scratch);
}

// Allocates and touches: the one function both of the next two allocate through.
__attribute__((noinline)) char* touch(std::size_t bytes) {
  char* block = static_cast<char*>(std::malloc(bytes));
  std::memset(block, 'h', bytes);
  return block;
}

__attribute__((noinline)) void cache_put_leaky(std::size_t bytes) {
  char* entry = touch(bytes);
  asm volatile("" : : "r"(entry) : "memory");  // never freed
}

__attribute__((noinline)) void scratch_spike(std::size_t bytes) {
  char* scratch = touch(bytes);
  asm volatile("" : : "r"(scratch) : "memory");
  std::free(scratch);
}

long arg_value(int& i, int argc, char** argv) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s needs a value\n", argv[i]);
    std::exit(2);
  }
  return std::atol(argv[++i]);
}

}  // namespace

int main(int argc, char** argv) {
  long parser_leaks = 0, cache_leaks = 0, bytes = 4096, scratch_mib = 0, helper_leaks = 0,
       helper_spike_mib = 0;
  bool wait_sigterm = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--parser-leaks") {
      parser_leaks = arg_value(i, argc, argv);
    } else if (arg == "--cache-leaks") {
      cache_leaks = arg_value(i, argc, argv);
    } else if (arg == "--bytes") {
      bytes = arg_value(i, argc, argv);
    } else if (arg == "--scratch-mib") {
      scratch_mib = arg_value(i, argc, argv);
    } else if (arg == "--helper-leaks") {
      helper_leaks = arg_value(i, argc, argv);
    } else if (arg == "--helper-spike-mib") {
      helper_spike_mib = arg_value(i, argc, argv);
    } else if (arg == "--wait-sigterm") {
      wait_sigterm = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  for (long i = 0; i < parser_leaks; ++i) {
    void* record = parse_record(static_cast<std::size_t>(bytes));
    asm volatile("" : : "r"(record) : "memory");
  }
  for (long i = 0; i < cache_leaks; ++i) remember_session(static_cast<std::size_t>(bytes));
  if (scratch_mib > 0) build_scratch(static_cast<std::size_t>(scratch_mib) << 20);
  for (long i = 0; i < helper_leaks; ++i) cache_put_leaky(static_cast<std::size_t>(bytes));
  if (helper_spike_mib > 0) scratch_spike(static_cast<std::size_t>(helper_spike_mib) << 20);
  std::printf("done\n");
  std::fflush(stdout);
  if (wait_sigterm) {
    struct sigaction action {};
    action.sa_handler = [](int) { stop_requested = 1; };
    sigaction(SIGTERM, &action, nullptr);
    std::printf("waiting\n");
    std::fflush(stdout);
    while (!stop_requested) pause();
  }
  return 0;
}
