#include "runtime/drivers/redis_connection.hpp"

#include <fmt/format.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "core/model/errors.hpp"

namespace memgate {

namespace {
timeval to_timeval(double s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s);
  tv.tv_usec = static_cast<suseconds_t>((s - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}
}  // namespace

RedisConnection::RedisConnection(const std::string& host, int port, const std::string& password,
                                 double timeout_s, double reply_timeout_s)
    : endpoint_(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                    : fmt::format("{}:{}", host, port)) {
  ctx_ = redisConnectWithTimeout(host.c_str(), port, to_timeval(timeout_s));
  // The destructor does not run when the constructor throws: free the context here.
  try {
    if (!ctx_ || ctx_->err) {
      const std::string why = ctx_ ? ctx_->errstr : "out of memory";
      throw RunError(fmt::format("cannot connect to Redis at {}: {}", endpoint_, why),
                     "is the SUT listening there? see its log");
    }
    redisSetTimeout(ctx_, to_timeval(reply_timeout_s));
    reply_timeout_s_ = reply_timeout_s;
    if (!password.empty()) {
      const RedisReply reply = command({"AUTH", password});
      if (reply->type == REDIS_REPLY_ERROR) {
        throw RunError(fmt::format("Redis at {} refused AUTH: {}", endpoint_,
                                   std::string(reply->str, reply->len)),
                       "check the password in the variable named by driver.password_env");
      }
    }
    const RedisReply pong = command({"PING"});
    if (pong->type == REDIS_REPLY_ERROR) {
      const std::string why(pong->str, pong->len);
      const bool wants_auth = why.rfind("NOAUTH", 0) == 0;
      throw RunError(fmt::format("Redis at {} answered PING with: {}", endpoint_, why),
                     wants_auth ? "the server wants a password (AUTH): set driver.password_env "
                                  "to the name of a variable holding it"
                                : "");
    }
  } catch (...) {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (ctx_) redisFree(ctx_);
}

RedisReply RedisConnection::command(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data());
  if (!raw) {
    throw RunError(fmt::format("lost the connection to Redis at {}: {}", endpoint_, error()));
  }
  return RedisReply(static_cast<redisReply*>(raw));
}

std::string RedisConnection::error() const {
  if (!ctx_ || !ctx_->err) return "no error";
  const std::string why = ctx_->errstr[0] ? ctx_->errstr : std::strerror(errno);
  // A blocking read that timed out reports EAGAIN: say what it means.
  if (ctx_->err == REDIS_ERR_IO && why == std::strerror(EAGAIN)) {
    return fmt::format("no answer within {} s (the server stalls)", reply_timeout_s_);
  }
  return why;
}

std::int64_t queue_length(RedisConnection& connection, const std::vector<std::string>& keys) {
  std::int64_t total = 0;
  for (const auto& key : keys) {
    const RedisReply reply = connection.command({"LLEN", key});
    if (reply->type == REDIS_REPLY_INTEGER) total += reply->integer;
  }
  return total;
}

}  // namespace memgate
