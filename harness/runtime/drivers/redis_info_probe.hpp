#pragma once

// Samples a Redis SUT's own view of its memory (INFO memory) beside the OS figures, so a user
// can tell real growth (used_memory: what Redis allocated) from fragmentation (used_memory_rss
// over used_memory). Its own connection and thread; one INFO every interval.

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/model/series.hpp"
#include "runtime/drivers/redis_connection.hpp"

namespace memgate {

class RedisInfoProbe {
 public:
  using Clock = std::chrono::steady_clock;
  RedisInfoProbe(std::string host, int port, std::string password, int interval_ms,
                 Clock::time_point t0);
  ~RedisInfoProbe();

  // Connects and starts sampling. Throws RunError when Redis is unreachable.
  void start();
  void stop();

  // Records the server's final state (commands run, queue lengths), then stops sampling.
  void final_snapshot(const std::vector<std::string>& queue_keys);

  // A restart of the server (its run_id changed) or a lost connection.
  std::optional<std::string> problem() const;

  // The samples, per-phase figures of used_memory and used_memory_rss, the final snapshot.
  nlohmann::json figures(const std::vector<PhaseSpan>& phases) const;

 private:
  void run();
  void sample(RedisConnection& connection);

  std::string host_, password_;
  int port_, interval_ms_;
  Clock::time_point t0_;
  std::unique_ptr<RedisConnection> connection_;
  std::string run_id_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::array<double, 4>> samples_;  // t_ms, used_memory, used_memory_rss, frag ratio
  std::optional<std::string> problem_;
  nlohmann::json final_ = nlohmann::json::object();
};

}  // namespace memgate
