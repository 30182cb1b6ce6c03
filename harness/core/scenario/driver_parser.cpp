#include <fmt/format.h>

#include <charconv>
#include <filesystem>

#include "core/model/url.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate::scenario_parts {

namespace {

constexpr double kMaxRatePerS = 100'000'000;

RedisQueueDriverSpec parse_redis_queue(ObjectReader& r, const ScenarioContext& context) {
  RedisQueueDriverSpec d;
  d.host = r.opt_string("host").value_or(d.host);
  require_allowed_host(r, "host", d.host, context);
  d.port = get_port(r, "port");
  d.queues = static_cast<int>(r.opt_int("queues", 1, 1024).value_or(d.queues));
  d.producers = static_cast<int>(r.opt_int("producers", 1, 256).value_or(d.producers));
  d.consumers = static_cast<int>(r.opt_int("consumers", 0, 256).value_or(d.consumers));
  d.pipeline = static_cast<int>(r.opt_int("pipeline", 1, 4096).value_or(d.pipeline));
  d.payload_bytes =
      static_cast<int>(r.opt_int("payload_bytes", 0, 64 * 1024 * 1024).value_or(d.payload_bytes));
  d.rate_per_s = r.opt_number("rate_per_s", 0, kMaxRatePerS).value_or(0);
  d.consumer_rate_per_s = r.opt_number("consumer_rate_per_s", 0, kMaxRatePerS).value_or(d.rate_per_s);
  d.pop = r.opt_enum("pop", {"brpop", "rpop"}).value_or(d.pop);
  if (auto env = r.opt_string("password_env")) {
    if (env->empty() || env->find_first_of("=\0", 0, 2) != std::string::npos) {
      r.fail("password_env", "expected the name of an environment variable",
             "the password itself never goes in a file: export it and name the variable here");
    }
    d.password_env = *env;
  }
  if (r.has("password")) {
    r.fail("password", "passwords are never written in scenario files",
           "export the password in an environment variable and set password_env to its name");
  }
  constexpr std::int64_t kMaxBatchBytes = 64 * 1024 * 1024;
  if (static_cast<std::int64_t>(d.pipeline) * d.payload_bytes > kMaxBatchBytes) {
    r.fail("pipeline", fmt::format("pipeline x payload_bytes is {} bytes in flight per connection, "
                                   "more than the 64 MiB memgate allows",
                                   static_cast<std::int64_t>(d.pipeline) * d.payload_bytes));
  }
  d.key_prefix = r.opt_string("key_prefix").value_or(d.key_prefix);
  if (d.key_prefix.size() > 200) r.fail("key_prefix", "expected at most 200 characters");
  return d;
}

TextBatchDriverSpec parse_text_batch(ObjectReader& r, const std::string& scenario_dir,
                                     const ScenarioContext& context) {
  TextBatchDriverSpec d;
  d.transport = r.opt_enum("transport", {"http", "stdin"}).value_or(d.transport);
  const auto url = r.opt_string("url");
  if (d.transport == "http") {
    if (!url) r.fail("url", "required key 'url' is missing (http transport)",
                     R"(for example "http://127.0.0.1:{port}/embed")");
    const auto parsed = parse_http_url(*url);
    if (!parsed) {
      r.fail("url", fmt::format("expected an http://HOST:PORT/PATH URL, got '{}'", *url),
             "https is not supported: memgate loads local services");
    }
    require_allowed_host(r, "url", parsed->host, context);
    d.url = *url;
  } else if (url) {
    r.fail("url", "the stdin transport sends texts to the SUT's stdin: remove 'url'");
  }
  d.batch_size = static_cast<int>(r.opt_int("batch_size", 1, 100'000).value_or(d.batch_size));
  d.concurrency = static_cast<int>(r.opt_int("concurrency", 1, 1024).value_or(d.concurrency));
  if (d.transport == "stdin" && d.concurrency != 1) {
    r.fail("concurrency", "the stdin transport has one pipe: concurrency must be 1");
  }
  d.rate_per_s = r.opt_number("rate_per_s", 0, kMaxRatePerS).value_or(0);
  d.request_timeout_s = r.opt_number("request_timeout_s", 0.001, 3600).value_or(30);
  ObjectReader texts = r.get_object("texts");
  const bool has_file = texts.has("file"), has_generate = texts.has("generate");
  if (has_file == has_generate) {
    texts.fail_here("expected exactly one of 'file' and 'generate'",
                    R"(for example {"file": "texts.txt"} or {"generate": {"count": 1000}})");
  }
  if (has_file) {
    const std::string file = texts.get_string("file");
    if (file.empty()) texts.fail("file", "expected a file name, got an empty string");
    const std::filesystem::path p(file);
    d.texts = TextFileSource{p.is_absolute()
                                 ? file
                                 : (std::filesystem::path(scenario_dir) / p).lexically_normal().string()};
  } else {
    ObjectReader g = texts.get_object("generate");
    TextGenerateSource gen;
    gen.count = g.opt_int("count", 1, 10'000'000).value_or(gen.count);
    gen.min_words = static_cast<int>(g.opt_int("min_words", 1, 100'000).value_or(gen.min_words));
    gen.max_words = static_cast<int>(g.opt_int("max_words", 1, 100'000).value_or(gen.max_words));
    if (gen.max_words < gen.min_words) {
      g.fail("max_words", fmt::format("max_words ({}) is below min_words ({})", gen.max_words,
                                      gen.min_words));
    }
    gen.seed = static_cast<std::uint64_t>(g.opt_int("seed", 0, INT64_MAX).value_or(1));
    g.reject_unknown_keys();
    d.texts = gen;
  }
  texts.reject_unknown_keys();
  return d;
}

}  // namespace

std::optional<int> opt_port(ObjectReader& r, std::string_view key) {
  const nlohmann::json* v = r.opt_raw(key);
  if (!v) return std::nullopt;
  if (v->is_string()) {
    const std::string text = v->get<std::string>();
    int port = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec == std::errc{} && ptr == text.data() + text.size() && port >= 1 && port <= 65535) {
      return port;
    }
    r.fail(key, fmt::format("expected a port number or \"{{port}}\", got \"{}\"", text));
  }
  return static_cast<int>(r.opt_int(key, 1, 65535).value());
}

int get_port(ObjectReader& r, std::string_view key) {
  auto port = opt_port(r, key);
  if (!port) {
    r.fail(key, fmt::format("required key '{}' is missing", key),
           "use \"{port}\" for the free port memgate picks for the run");
  }
  return *port;
}

void require_allowed_host(const ObjectReader& r, std::string_view key, const std::string& host,
                          const ScenarioContext& context) {
  if (context.allow_remote || is_loopback_host(host)) return;
  r.fail(key, fmt::format("'{}' is not a loopback address: memgate only loads 127.0.0.1 and ::1",
                          host),
         "pass --allow-remote to load a service on another host on purpose");
}

DriverSpec parse_driver(ObjectReader r, const std::string& scenario_dir,
                        const ScenarioContext& context) {
  const std::string type = r.get_enum("type", {"redis-queue", "text-batch", "command"});
  DriverSpec driver;
  if (type == "redis-queue") {
    driver = parse_redis_queue(r, context);
  } else if (type == "text-batch") {
    driver = parse_text_batch(r, scenario_dir, context);
  } else {
    driver = CommandDriverSpec{};
  }
  r.reject_unknown_keys();
  return driver;
}

}  // namespace memgate::scenario_parts

namespace memgate {

std::string driver_type(const DriverSpec& driver) {
  if (std::holds_alternative<RedisQueueDriverSpec>(driver)) return "redis-queue";
  if (std::holds_alternative<TextBatchDriverSpec>(driver)) return "text-batch";
  return "command";
}

}  // namespace memgate
