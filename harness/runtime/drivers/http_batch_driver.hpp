#pragma once

// The text-batch driver over HTTP (Boost.Beast): `concurrency` keep-alive connections, each with
// one POST of {"texts": [...]} in flight, driven asynchronously by a few threads (one less than
// the cores). Any 2xx answer is a success; another status, a timeout (request_timeout_s), a
// closed or malformed response is a failed batch, counted by kind. A connection that fails is
// opened again; one that cannot be is fatal (the SUT stopped listening).

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
