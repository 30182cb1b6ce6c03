// memgate-text-service: a small text service for memgate to gate (tests and shipped scenarios).
// It embeds batches of texts (see embedder.hpp), over HTTP or over stdin/stdout:
//
//   --port N              HTTP on 127.0.0.1:N: POST /embed {"texts": [...]} -> {"vectors": [...]},
//                         GET /health. Prints "text-service listening on 127.0.0.1:N".
//   --stdin               one text per line in, one vector per line out (JSON array).
//   --dim D, --cache-size N, --vocab-size N    the embedder's size and memory bounds
//   --leak-bytes-per-text B                    keep B bytes per text forever (a leak)
//   --retain-bytes-per-text B                  keep exactly B more bytes per text, in one
//                                              region (no allocator overhead; up to 1 GiB)
//   --cpu-us-per-text U                        spend U µs more of CPU on each text
//   --http10              HTTP: answer as HTTP/1.0 and close the connection after each answer
//   --api openai          HTTP: the OpenAI-compatible shape instead: POST /v1/embeddings
//                         {"model": M, "input": [...]} -> {"object": "list", "data":
//                         [{"object": "embedding", "index": i, "embedding": [...]}], ...}
//   --token-env NAME      HTTP: require "Authorization: Bearer <$NAME>" (401 otherwise); the
//                         token comes from the environment, never from the command line
//   --fail-every N        HTTP: answer every N-th request with 500
//   --crash-after-texts N die by SIGSEGV after N texts
//   --exit-after-texts N  exit 0 after N texts, in the middle of the load
//   --ignore-sigterm      SIGTERM does nothing (SIGINT still stops it)
//   --fork-child          fork a child that sleeps until killed, outliving the service: it
//                         leaves the process group and survives the service's end
//   --close-after N       stdin: close stdout after N replies (and keep reading)
//   --stall-after N       stdin: stop answering after N replies
//   --record PATH         append every text received to PATH, one per line
//   --version
// MG_TEXT_SERVICE_EXTRA adds arguments (space-separated): tests change the service's behaviour
// from outside a scenario, as a new release would. On SIGTERM or SIGINT, or at the end of stdin,
// it prints "text-service: served N texts in M batches" and exits 0.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "embedder.hpp"
#include "service.hpp"

namespace text_service {

std::atomic<std::uint64_t> g_batches{0};

namespace {

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "memgate-text-service: %s\n", problem.c_str());
  std::exit(64);
}

ServiceOptions parse(std::vector<std::string> args) {
  ServiceOptions o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto number = [&]() -> long {
      if (i + 1 >= args.size()) usage(a + " needs a value");
      const std::string& text = args[++i];
      char* end = nullptr;
      errno = 0;
      const long value = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0 || value < 0) {
        usage(a + " needs a whole number of at least 0, got '" + text + "'");
      }
      return value;
    };
    if (a == "--port") o.port = static_cast<int>(number());
    else if (a == "--stdin") o.use_stdin = true;
    else if (a == "--dim") o.embedder.dim = static_cast<std::size_t>(number());
    else if (a == "--cache-size") o.embedder.cache_size = static_cast<std::size_t>(number());
    else if (a == "--vocab-size") o.embedder.vocab_size = static_cast<std::size_t>(number());
    else if (a == "--leak-bytes-per-text") o.embedder.leak_bytes_per_text = static_cast<std::size_t>(number());
    else if (a == "--retain-bytes-per-text")
      o.embedder.retain_bytes_per_text = static_cast<std::size_t>(number());
    else if (a == "--cpu-us-per-text") o.embedder.cpu_us_per_text = number();
    else if (a == "--fail-every") o.fail_every = number();
    else if (a == "--crash-after-texts") o.crash_after_texts = number();
    else if (a == "--exit-after-texts") o.exit_after_texts = number();
    else if (a == "--ignore-sigterm") o.ignore_sigterm = true;
    else if (a == "--fork-child") o.fork_child = true;
    else if (a == "--close-after") o.close_after = number();
    else if (a == "--stall-after") o.stall_after = number();
    else if (a == "--http10")
      o.http10 = true;
    else if (a == "--api") {
      if (i + 1 >= args.size() || args[i + 1] != "openai") usage("--api takes 'openai'");
      o.openai = true;
      ++i;
    } else if (a == "--token-env") {
      if (i + 1 >= args.size()) usage("--token-env needs a variable name");
      o.token_env = args[++i];
      if (!std::getenv(o.token_env.c_str())) usage("--token-env: $" + o.token_env + " is not set");
    } else if (a == "--record") {
      if (i + 1 >= args.size()) usage("--record needs a path");
      o.record_path = args[++i];
    } else if (a == "--version") {
      std::printf("memgate-text-service 1.0\n");
      std::exit(0);
    } else {
      usage("unknown argument " + a);
    }
  }
  if (o.embedder.dim == 0) usage("--dim must be at least 1");
  if (!o.use_stdin && (o.port <= 0 || o.port > 65535)) usage("give --port N or --stdin");
  return o;
}

}  // namespace

void print_summary(const Embedder& embedder) {
  std::fprintf(stderr, "text-service: served %llu texts in %llu batches, vocabulary %zu\n",
               static_cast<unsigned long long>(embedder.texts()),
               static_cast<unsigned long long>(g_batches.load()), embedder.vocabulary());
  std::fflush(stderr);
}

}  // namespace text_service

int main(int argc, char** argv) {
  using namespace text_service;
  std::vector<std::string> args(argv, argv + argc);
  if (const char* extra = std::getenv("MG_TEXT_SERVICE_EXTRA")) {
    std::istringstream words(extra);
    for (std::string w; words >> w;) args.push_back(w);
  }
  const ServiceOptions options = parse(args);
  Embedder embedder(options.embedder);

  if (options.fork_child) {
    const pid_t child = fork();
    if (child == 0) {
      setpgid(0, 0);  // out of the service's process group: only a tree walk finds it
      std::fprintf(stderr, "text-service: child %d started\n", getpid());
      std::fflush(stderr);
      for (;;) pause();
    }
  }
  // SIGTERM and SIGINT are taken by one thread that prints the summary and ends the process.
  if (options.ignore_sigterm) std::signal(SIGTERM, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  if (!options.ignore_sigterm) sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::thread([&embedder, stop] {
    int sig = 0;
    sigwait(&stop, &sig);
    print_summary(embedder);
    std::fflush(stdout);
    _exit(0);
  }).detach();

  return options.use_stdin ? serve_stdin(options, embedder) : serve_http(options, embedder);
}
