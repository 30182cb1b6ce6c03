#pragma once

// The text-batch driver's `request` and `response` objects (docs/scenarios.md, "The text-batch
// driver"). Every mistake is an InputError naming the file and the JSON path.

#include <nlohmann/json.hpp>

#include "core/drivers/text_batch_spec.hpp"
#include "core/model/json_reader.hpp"

namespace memgate {

// Header values memgate sends: no control character but tab, at most this long.
constexpr std::size_t kMaxHeaderValueBytes = 8192;
bool is_header_value(const std::string& value);

// `request`: method, headers, body. batch_size decides whether "{text}" may stand for the batch.
HttpRequestSpec parse_http_request(ObjectReader r, int batch_size);

// `response`: status (a list), count_pointer.
HttpResponseSpec parse_http_response(ObjectReader r);

// Splits a body template around its one "{texts}" or "{text}" string into the bytes before and
// after it (compact JSON). Throws InputError (at json_path) unless exactly one is present.
void split_body_template(const nlohmann::json& body, const std::string& file,
                         const std::string& json_path, HttpRequestSpec& out);

}  // namespace memgate
