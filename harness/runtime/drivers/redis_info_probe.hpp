#pragma once

// Samples a Redis server's own view of its memory (INFO memory) beside the OS figures, so a user
// can tell real growth (used_memory: what Redis allocated) from fragmentation (used_memory_rss
// over used_memory), and the length of the driver's queues (the backlog of a worker). Its own
// connection and thread; one INFO and one LLEN per queue every interval. Command counts are this
// run's (the difference between the first and the final snapshot), not the server's lifetime.

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

#include "core/drivers/driver_kind.hpp"
#include "core/sut/redis_info.hpp"
#include "runtime/drivers/redis_connection.hpp"
#include "runtime/drivers/side_probe.hpp"

namespace memgate {

class RedisInfoProbe : public SideProbe {
 public:
  using Clock = std::chrono::steady_clock;
  // Reads the password from target.password_env (the driver checked it is set).
  RedisInfoProbe(RedisTarget target, int interval_ms, Clock::time_point t0);
  ~RedisInfoProbe() override;

  std::string role() const override { return target_.role; }
  std::string figures_key() const override { return "redis"; }
  void start() override;  // connects and starts sampling; RunError when unreachable
  void stop() override;
  void final_snapshot() override;
  std::optional<std::string> problem() const override;
  nlohmann::json figures(const std::vector<PhaseSpan>& phases) const override;
  Series queue_lengths() const override;

 private:
  void run();
  void sample(RedisConnection& connection);

  RedisTarget target_;
  std::string password_;
  int interval_ms_;
  Clock::time_point t0_;
  std::unique_ptr<RedisConnection> connection_;
  std::string run_id_;
  RedisInfo stats_at_start_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::array<double, 4>> samples_;  // t_ms, used_memory, used_memory_rss, frag ratio
  Series queue_lengths_;
  std::optional<std::string> problem_;
  nlohmann::json final_ = nlohmann::json::object();
};

}  // namespace memgate
