#pragma once

// One blocking hiredis connection (hiredis 0.14: no SSL, no RESP3), owned by one thread.
// A context is dead after a NULL reply: every call that gets one throws, and the owner stops
// using the connection.

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

namespace memgate {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisConnection {
 public:
  // Connects within timeout_s, sends AUTH when password is not empty, then PING. Throws RunError
  // (exit 3) naming host:port when the server is unreachable, and naming AUTH when it refuses
  // the password or wants one. Replies slower than reply_timeout_s count as a lost connection.
  RedisConnection(const std::string& host, int port, const std::string& password,
                  double timeout_s = 2, double reply_timeout_s = 10);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  redisContext* context() { return ctx_; }
  const std::string& endpoint() const { return endpoint_; }

  // Runs one command (argv, binary-safe). Throws RunError when the connection is lost.
  RedisReply command(const std::vector<std::string>& argv);

  // Why the connection failed (hiredis errstr).
  std::string error() const;

 private:
  redisContext* ctx_ = nullptr;
  std::string endpoint_;
  double reply_timeout_s_ = 0;
};

// The total length of the lists `keys` (LLEN each). Throws RunError when the connection is lost.
std::int64_t queue_length(RedisConnection& connection, const std::vector<std::string>& keys);

}  // namespace memgate
