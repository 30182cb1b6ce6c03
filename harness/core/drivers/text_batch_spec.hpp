#pragma once

// The text-batch driver's settings (docs/scenarios.md, "The text-batch driver").

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/texts/text_spec.hpp"

namespace memgate {

// What an HTTP request of a batch looks like. The body is a JSON template whose one string
// "{texts}" became the batch's array (or "{text}": the batch's one text): the request body is
// body_before + texts + body_after, a concatenation per request, not a serialization.
struct HttpRequestSpec {
  std::string method = "POST";  // POST | PUT | PATCH
  // Sorted by name (as nlohmann::json keeps keys); Content-Type is application/json unless
  // given. Values may hold {env:NAME}, read when the run starts (core/model/env_refs.hpp) and
  // never written anywhere.
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
  std::string body_before = R"({"texts":)";
  std::string body_after = "}";
  bool one_text = false;  // "{text}": one JSON string, batch_size 1
};

// What a good answer is: a listed status (none listed: any 2xx) and, with count_pointer, a JSON
// body whose array at that JSON pointer (RFC 6901) holds one entry per text sent.
struct HttpResponseSpec {
  std::vector<int> statuses;
  std::optional<std::string> count_pointer;
};

struct TextBatchDriverSpec {
  std::string transport = "http";  // http | stdin
  std::string url;                 // http only
  HttpRequestSpec request;         // http only
  HttpResponseSpec response;       // http only
  int batch_size = 16;
  int concurrency = 1;
  double rate_per_s = 0;  // batches per second, all connections together; 0: closed model
  double request_timeout_s = 30;
  TextsSpec texts;
};

}  // namespace memgate
