#pragma once

#include <atomic>
#include <string>

#include "embedder.hpp"

namespace text_service {

struct ServiceOptions {
  int port = 0;
  bool use_stdin = false;
  EmbedderOptions embedder;
  long fail_every = 0;
  long crash_after_texts = 0;
  long exit_after_texts = 0;
  bool ignore_sigterm = false;
  bool fork_child = false;
  long close_after = 0;
  long stall_after = 0;
  std::string record_path;
  bool http10 = false;    // answer HTTP/1.0 and close the connection after each response
  bool openai = false;    // POST /v1/embeddings {"model", "input"} -> {"data": [{"embedding"}]}
  std::string token_env;  // require "Authorization: Bearer $token_env"
};

extern std::atomic<std::uint64_t> g_batches;

void print_summary(const Embedder& embedder);

// Serve until stopped by a signal (HTTP) or until stdin ends (stdin). Return the exit code.
int serve_http(const ServiceOptions& options, Embedder& embedder);
int serve_stdin(const ServiceOptions& options, Embedder& embedder);

// Appends texts to the --record file (if any); dies by SIGSEGV past --crash-after-texts and
// exits 0 past --exit-after-texts.
void after_texts(const ServiceOptions& options, const std::vector<std::string>& texts,
                 std::uint64_t served_before);

}  // namespace text_service
