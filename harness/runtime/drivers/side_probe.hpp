#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/model/series.hpp"

namespace memgate {

// A server a driver loads, seen from a connection of its own (a Redis: INFO memory and the queue
// lengths). The run places its figures with the role that runs the server.
class SideProbe {
 public:
  virtual ~SideProbe() = default;
  virtual std::string role() const = 0;         // "sut", or the service that runs the server
  virtual std::string figures_key() const = 0;  // the role's figures hold them under this key
  virtual void start() = 0;  // throws RunError when the server is unreachable
  // Records the final state (this run's command counts, queue lengths), then stops sampling.
  virtual void final_snapshot() = 0;
  virtual void stop() = 0;
  virtual std::optional<std::string> problem() const = 0;  // a restart, a lost connection
  virtual nlohmann::json figures(const std::vector<PhaseSpan>& phases) const = 0;
  virtual Series queue_lengths() const = 0;  // [t_ms, jobs waiting]; empty without queues
};

}  // namespace memgate
