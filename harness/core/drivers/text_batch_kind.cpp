// The text-batch driver kind: its parser and traits (the load itself is
// runtime/drivers/http_batch_driver and stdin_batch_driver).

#include <fmt/format.h>

#include "core/drivers/driver_kind.hpp"
#include "core/drivers/driver_parsing.hpp"
#include "core/drivers/http_request_parser.hpp"
#include "core/model/url.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

namespace {

using namespace driver_parsing;

class TextBatchKind : public DriverKind {
 public:
  std::string_view name() const override { return "text-batch"; }

  DriverSpec parse(ObjectReader& r, const DriverParseContext& c) const override {
    TextBatchDriverSpec d;
    d.transport = r.opt_enum("transport", {"http", "stdin"}).value_or(d.transport);
    const auto url = r.opt_string("url");
    if (d.transport == "http") {
      if (!url) {
        r.fail("url", "required key 'url' is missing (http transport)",
               R"(for example "http://127.0.0.1:{port}/embed")");
      }
      const auto parsed = parse_http_url(*url);
      if (!parsed) {
        r.fail("url", fmt::format("expected an http://HOST:PORT/PATH URL, got '{}'", *url),
               "https is not supported: memgate loads local services");
      }
      require_allowed_host(r, "url", parsed->host, c.allow_remote);
      d.url = *url;
    } else {
      for (const char* key : {"url", "request", "response"}) {
        if (r.has(key)) {
          r.fail(key, fmt::format("the stdin transport sends texts to the SUT's stdin: remove '{}'",
                                  key));
        }
      }
    }
    d.batch_size = static_cast<int>(r.opt_int("batch_size", 1, 100'000).value_or(d.batch_size));
    if (d.transport == "http") {
      const auto request = r.opt_object("request");
      if (request) d.request = parse_http_request(*request, d.batch_size);
      if (const auto response = r.opt_object("response"))
        d.response = parse_http_response(*response);
    }
    d.concurrency = static_cast<int>(r.opt_int("concurrency", 1, 1024).value_or(d.concurrency));
    if (d.transport == "stdin" && d.concurrency != 1) {
      r.fail("concurrency", "the stdin transport has one pipe: concurrency must be 1");
    }
    d.rate_per_s = r.opt_number("rate_per_s", 0, kMaxRatePerS).value_or(0);
    d.request_timeout_s = r.opt_number("request_timeout_s", 0.001, 3600).value_or(30);
    d.texts = parse_texts(r.get_object("texts"), c.scenario_dir);
    if (const auto* generated = std::get_if<TextGenerateSource>(&d.texts)) {
      check_text_batch_in_flight(r, d, generated_text_max_bytes(*generated));
    }
    return d;
  }

  DriverTraits traits(const DriverSpec& spec) const override {
    const auto& d = std::get<TextBatchDriverSpec>(spec);
    DriverTraits t;
    t.open_model = d.rate_per_s > 0;
    t.stdin_channel = d.transport == "stdin";
    t.op_unit = "text";
    return t;
  }
};

}  // namespace

const DriverKind& text_batch_kind() {
  static const TextBatchKind kKind;
  return kKind;
}

}  // namespace memgate
