#pragma once

// The text-batch driver over the SUT's stdin and stdout (pipes from Boost.Process): a batch is
// `batch_size` lines written to the SUT's stdin, answered by as many lines on its stdout. One
// batch in flight (the pipe has one reader). A SUT that closes its stdout, closes its stdin, or
// stalls past request_timeout_s is a fatal error of the run, never a hang.

#include <memory>
#include <thread>

#include "core/scenario/scenario.hpp"
#include "runtime/drivers/batch_plan.hpp"
#include "runtime/drivers/driver.hpp"
#include "runtime/drivers/text_corpus.hpp"

namespace memgate {

class StdinBatchDriver : public Driver {
 public:
  StdinBatchDriver(TextBatchDriverSpec spec, std::shared_ptr<const TextCorpus> corpus);
  ~StdinBatchDriver() override;

  void attach(const SutChannel& channel) override;
  void connect() override;
  void start(Clock::time_point deadline) override;
  void begin_load(std::optional<std::int64_t> op_limit) override { plan_.begin_load(op_limit); }
  std::int64_t load_ops() const override { return plan_.load_texts_done(); }
  std::optional<Clock::time_point> limit_reached_at() const override {
    return plan_.limit_reached_at();
  }
  std::optional<std::string> fatal() const override;
  DriverReport stop() override;

 private:
  void run();
  enum class Io { done, stopped, failed };  // failed: the fatal reason is set
  // Writes all of `bytes` before `until`.
  Io write_all(const std::string& bytes, Clock::time_point until);
  // Reads until `lines` more newlines arrived, before `until`.
  Io read_lines(std::size_t lines, Clock::time_point until, std::size_t answered_before);
  void set_fatal(std::string what);
  // Why a batch got no answer in time: a stall, or (most often) a SUT buffering its output.
  std::string no_answer_message(std::size_t answered) const;

  TextBatchDriverSpec spec_;
  std::shared_ptr<const TextCorpus> corpus_;
  BatchPlan plan_;
  int in_fd_ = -1;   // the SUT's stdin (we write)
  int out_fd_ = -1;  // the SUT's stdout (we read)
  std::thread thread_;
  Clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::optional<std::string> fatal_;
  std::string pending_;  // bytes read past the last complete reply line
};

}  // namespace memgate
