#include "runtime/drivers/redis_info_probe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/metrics/run_metrics.hpp"
#include "core/model/errors.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

// Sampled at most this often: INFO runs on Redis's main thread.
constexpr int kMinIntervalMs = 100;

RedisInfo info_of(RedisConnection& connection, const char* section) {
  const RedisReply reply = connection.command({"INFO", section});
  if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS) return {};
  return parse_redis_info(std::string_view(reply->str, reply->len));
}

// idle, plateau, residual and peak of one server-side series, with the metric functions of the
// OS figures.
nlohmann::json phase_figures(const Series& series, const std::vector<PhaseSpan>& phases) {
  nlohmann::json out = nlohmann::json::object();
  const auto put = [&](const char* key, const auto& value) {
    if (value) out[key] = *value;
  };
  put("idle", idle_bytes(series, phases));
  put("plateau", plateau_bytes(series, phases));
  put("residual", residual_bytes(series, phases));
  std::int64_t peak = 0;
  for (const auto& s : series) peak = std::max(peak, s.bytes);
  if (!series.empty()) out["peak"] = peak;
  return out;
}

}  // namespace

RedisInfoProbe::RedisInfoProbe(RedisTarget target, int interval_ms, Clock::time_point t0)
    : target_(std::move(target)), interval_ms_(std::max(kMinIntervalMs, interval_ms)), t0_(t0) {
  if (!target_.password_env.empty()) {
    if (const char* value = std::getenv(target_.password_env.c_str())) password_ = value;
  }
}

RedisInfoProbe::~RedisInfoProbe() { stop(); }

void RedisInfoProbe::start() {
  connection_ = std::make_unique<RedisConnection>(target_.host, target_.port, password_);
  run_id_ = info_of(*connection_, "server")["run_id"];
  stats_at_start_ = info_of(*connection_, "commandstats");
  sample(*connection_);
  thread_ = std::thread([this] { run(); });
}

void RedisInfoProbe::sample(RedisConnection& connection) {
  const RedisInfo info = info_of(connection, "memory");
  const std::int64_t queued = queue_length(connection, target_.queue_keys);
  const double t_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0_).count();
  std::lock_guard lock(mutex_);
  samples_.push_back({t_ms, info_number(info, "used_memory").value_or(0),
                      info_number(info, "used_memory_rss").value_or(0),
                      info_number(info, "mem_fragmentation_ratio").value_or(0)});
  if (!target_.queue_keys.empty()) queue_lengths_.push_back({t_ms, queued});
}

void RedisInfoProbe::run() {
  interrupt::block_in_this_thread();
  auto next = Clock::now();
  while (!stop_.load()) {
    next += std::chrono::milliseconds(interval_ms_);
    while (!stop_.load() && Clock::now() < next) {
      std::this_thread::sleep_for(std::min<Clock::duration>(next - Clock::now(),
                                                            std::chrono::milliseconds(20)));
    }
    if (stop_.load()) break;
    try {
      sample(*connection_);
    } catch (const RunError& e) {
      std::lock_guard lock(mutex_);
      if (!problem_) problem_ = e.what();
      return;
    }
  }
}

void RedisInfoProbe::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RedisInfoProbe::final_snapshot() {
  stop();
  if (!connection_) return;
  try {
    sample(*connection_);  // the backlog at the very end
    const RedisInfo server = info_of(*connection_, "server");
    const RedisInfo stats = info_of(*connection_, "commandstats");
    nlohmann::json calls = nlohmann::json::object();
    for (const char* cmd : {"lpush", "brpop", "rpop", "llen"}) {
      calls[cmd] = info_command_calls(stats, cmd).value_or(0) -
                   info_command_calls(stats_at_start_, cmd).value_or(0);
    }
    std::lock_guard lock(mutex_);
    final_ = {{"command_calls", calls}};
    if (!queue_lengths_.empty()) final_["queue_length"] = queue_lengths_.back().bytes;
    const auto id = server.find("run_id");
    if (id != server.end() && id->second != run_id_ && !problem_) {
      problem_ = "Redis restarted during the run (its run_id changed)";
    }
  } catch (const RunError& e) {
    std::lock_guard lock(mutex_);
    if (!problem_) problem_ = e.what();
  }
}

std::optional<std::string> RedisInfoProbe::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

Series RedisInfoProbe::queue_lengths() const {
  std::lock_guard lock(mutex_);
  return queue_lengths_;
}

nlohmann::json RedisInfoProbe::figures(const std::vector<PhaseSpan>& phases) const {
  std::lock_guard lock(mutex_);
  Series used, rss;
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : samples_) {
    used.push_back({s[0], static_cast<std::int64_t>(s[1])});
    rss.push_back({s[0], static_cast<std::int64_t>(s[2])});
    samples.push_back({std::round(s[0] * 1000) / 1000, static_cast<std::int64_t>(s[1]),
                       static_cast<std::int64_t>(s[2]), s[3]});
  }
  return {{"source", "redis INFO memory"},
          {"label", "Redis used_memory"},
          {"interval_ms", interval_ms_},
          {"columns", {"t_ms", "used_memory", "used_memory_rss", "mem_fragmentation_ratio"}},
          {"used_memory_bytes", phase_figures(used, phases)},
          {"used_memory_rss_bytes", phase_figures(rss, phases)},
          {"final", final_},
          {"samples", samples}};
}

}  // namespace memgate
