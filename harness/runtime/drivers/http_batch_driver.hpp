#pragma once

// The text-batch driver over HTTP (Boost.Beast): `concurrency` connections, each with one request
// in flight, driven asynchronously by a few threads (one less than the cores).
// - A request is the scenario's method, headers ({env:NAME} read at connect(), never written
//   anywhere: a server's answer quoted in the report has the values masked) and body template.
// - A good answer has an accepted status and, with count_pointer, one entry per text there;
//   another is a failed batch counted as "mismatch", the first one quoted (status, problem, the
//   body's first 200 bytes) under details.first_mismatch.
// - Connections are kept alive while the server allows it. An answer without keep-alive
//   (HTTP/1.0, Connection: close) closes it, and the next batch opens a new one. A server may
//   close an idle kept-alive connection at any time: a batch that finds its reused connection
//   closed before any byte of the answer is sent once more on a new connection (counted under
//   details.resent_batches), never counted as failed. Other failures (a timeout,
//   request_timeout_s, a connection closed mid-answer, a malformed answer) fail the batch by kind.
// - A connection that cannot be opened again is fatal (the SUT stopped listening).

#include <memory>

#include "core/scenario/scenario.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/text_corpus.hpp"

namespace memgate {

class HttpBatchDriver : public Driver {
 public:
  HttpBatchDriver(TextBatchDriverSpec spec, std::shared_ptr<const TextCorpus> corpus,
                  int worker_threads = 0);
  ~HttpBatchDriver() override;

  void connect() override;
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override;
  std::int64_t load_ops() const override;
  std::optional<Clock::time_point> limit_reached_at() const override;
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

  struct State;  // Beast and Asio stay out of this header

 private:
  std::unique_ptr<State> state_;
};

}  // namespace memgate
