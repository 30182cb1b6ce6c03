#pragma once

// The text-batch driver's settings (DESIGN.md: "text-batch").

#include <string>

#include "core/texts/text_spec.hpp"

namespace memgate {

struct TextBatchDriverSpec {
  std::string transport = "http";  // http | stdin
  std::string url;                 // http only: POST {"texts": [...]}
  int batch_size = 16;
  int concurrency = 1;
  double rate_per_s = 0;  // batches per second, all connections together; 0: closed model
  double request_timeout_s = 30;
  TextsSpec texts;
};

}  // namespace memgate
