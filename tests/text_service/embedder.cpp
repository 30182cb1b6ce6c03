#include "embedder.hpp"

#include <sys/mman.h>
#include <time.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace text_service {

std::vector<std::string> Embedder::tokenize(const std::string& text) const {
  std::vector<std::string> tokens;
  std::string current;
  for (unsigned char c : text) {
    // Letters and digits of ASCII, and every byte of a multi-byte UTF-8 character, make words.
    if (std::isalnum(c) || c >= 0x80) {
      current += static_cast<char>(std::tolower(c));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::uint32_t Embedder::token_id(const std::string& token) {
  const auto it = vocabulary_.find(token);
  if (it != vocabulary_.end()) return it->second;
  if (vocabulary_.size() < options_.vocab_size) {
    const auto id = static_cast<std::uint32_t>(vocabulary_.size());
    vocabulary_.emplace(token, id);
    return id;
  }
  // Out of vocabulary: one of 1024 hashed buckets.
  return static_cast<std::uint32_t>(options_.vocab_size + std::hash<std::string>{}(token) % 1024);
}

namespace {

// Spends `us` microseconds of this thread's CPU time (not wall time: a busy machine does not
// change the work done).
void burn_cpu_us(long us) {
  if (us <= 0) return;
  const auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
  };
  const long long until = cpu_ns() + us * 1000LL;
  volatile std::uint64_t x = 1;
  while (cpu_ns() < until) {
    for (int i = 0; i < 64; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  }
}

// The region of --retain-bytes-per-text: reserved, not committed; only written pages count.
constexpr std::size_t kRetainLimit = std::size_t{1} << 30;

}  // namespace

Embedder::~Embedder() {
  if (retained_) munmap(retained_, kRetainLimit);
}

std::vector<float> Embedder::embed(const std::string& text) {
  std::lock_guard lock(mutex_);
  ++texts_;
  burn_cpu_us(options_.cpu_us_per_text);
  if (options_.leak_bytes_per_text > 0) {
    auto block = std::make_unique<char[]>(options_.leak_bytes_per_text);
    std::memset(block.get(), 0x6c, options_.leak_bytes_per_text);  // touched: it counts in RSS
    leaked_.push_back(std::move(block));
  }
  if (options_.retain_bytes_per_text > 0) {
    if (!retained_) {
      void* region = mmap(nullptr, kRetainLimit, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (region == MAP_FAILED) {
        std::perror("memgate-text-service: --retain-bytes-per-text: mmap");
        std::abort();
      }
      retained_ = static_cast<char*>(region);
    }
    if (retained_used_ + options_.retain_bytes_per_text > kRetainLimit) {
      std::fprintf(stderr, "memgate-text-service: --retain-bytes-per-text: 1 GiB retained\n");
      std::abort();
    }
    std::memset(retained_ + retained_used_, 0x72, options_.retain_bytes_per_text);
    retained_used_ += options_.retain_bytes_per_text;
  }
  if (const auto hit = cache_.find(text); hit != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, hit->second);
    return hit->second->second;
  }
  std::vector<float> v(options_.dim, 0.0f);
  for (const auto& token : tokenize(text)) {
    std::uint64_t h = token_id(token) * 0x9E3779B97F4A7C15ULL + 1;
    for (int k = 0; k < 4; ++k) {  // each token touches 4 dimensions, with a sign
      h ^= h >> 29;
      h *= 0xBF58476D1CE4E5B9ULL;
      v[h % options_.dim] += (h >> 63) ? 1.0f : -1.0f;
    }
  }
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm > 0) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= scale;
  }
  if (options_.cache_size > 0) {
    lru_.emplace_front(text, v);
    cache_[text] = lru_.begin();
    if (lru_.size() > options_.cache_size) {
      cache_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  return v;
}

std::uint64_t Embedder::texts() const {
  std::lock_guard lock(mutex_);
  return texts_;
}

std::size_t Embedder::vocabulary() const {
  std::lock_guard lock(mutex_);
  return vocabulary_.size();
}

}  // namespace text_service
