#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model/series.hpp"

namespace memgate {

// The Redis a driver loads, seen from its own connection: INFO memory and the queue lengths.
class SideProbe {
 public:
  virtual ~SideProbe() = default;
  virtual void start() = 0;  // throws RunError when the server is unreachable
  // Records the final state (this run's command counts, queue lengths), then stops sampling.
  virtual void final_snapshot() = 0;
  virtual void stop() = 0;
  virtual std::optional<std::string> problem() const = 0;  // a restart, a lost connection
  virtual nlohmann::json figures(const std::vector<PhaseSpan>& phases) const = 0;
  virtual Series queue_lengths() const = 0;  // [t_ms, jobs waiting]; empty without queues
};

}  // namespace memgate
