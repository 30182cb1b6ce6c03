#pragma once

// The work of the text service: tokenize each text, map tokens to ids through a bounded
// vocabulary, and turn them into a normalized hashed bag-of-words vector, with a bounded LRU
// cache of recent texts. Its memory grows with the vocabulary and the cache up to their bounds,
// then plateaus; --leak-bytes-per-text makes it grow without bound (the regression to catch).

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace text_service {

struct EmbedderOptions {
  std::size_t dim = 64;
  std::size_t cache_size = 10'000;   // texts kept in the LRU cache
  std::size_t vocab_size = 50'000;   // distinct tokens remembered
  std::size_t leak_bytes_per_text = 0;
  // Exactly this many more resident bytes per text: written into one reserved region, so memory
  // per text is B with no allocator overhead (tests of memory per unit of work).
  std::size_t retain_bytes_per_text = 0;
  long cpu_us_per_text = 0;  // extra CPU time spent on each text (a costlier release)
};

class Embedder {
 public:
  explicit Embedder(EmbedderOptions options) : options_(options) {}
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  // Thread-safe. One vector of `dim` floats per text.
  std::vector<float> embed(const std::string& text);

  std::uint64_t texts() const;
  std::size_t vocabulary() const;

 private:
  std::vector<std::string> tokenize(const std::string& text) const;
  std::uint32_t token_id(const std::string& token);

  EmbedderOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::uint32_t> vocabulary_;
  std::list<std::pair<std::string, std::vector<float>>> lru_;  // most recent first
  std::unordered_map<std::string, decltype(lru_)::iterator> cache_;
  std::vector<std::unique_ptr<char[]>> leaked_;
  char* retained_ = nullptr;  // the region of --retain-bytes-per-text (kRetainLimit reserved)
  std::size_t retained_used_ = 0;
  std::uint64_t texts_ = 0;
};

}  // namespace text_service
