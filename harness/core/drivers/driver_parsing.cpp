#include "core/drivers/driver_parsing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "core/model/errors.hpp"
#include "core/model/limits.hpp"
#include "core/model/units.hpp"
#include "core/model/url.hpp"
#include "core/texts/text_source.hpp"

namespace memgate::driver_parsing {

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
                          bool allow_remote) {
  require_allowed_host(r.file(), r.child_path(key), host, allow_remote);
}

void require_allowed_host(const std::string& file, const std::string& json_path,
                          const std::string& host, bool allow_remote) {
  if (allow_remote || is_loopback_host(host)) return;
  throw InputError(
      file, json_path,
      fmt::format("'{}' is not a loopback address: memgate only loads 127.0.0.1 and ::1", host),
      "pass --allow-remote to load a service on another host on purpose");
}

namespace {
void check_in_flight(const ObjectReader& r, std::string_view key, std::int64_t bytes,
                     const char* what) {
  if (bytes <= limits::kMaxInFlightBytes) return;
  r.fail(key,
         fmt::format("{} is up to {} in flight at once, more than the {} memgate holds", what,
                     format_bytes(static_cast<double>(bytes)),
                     format_bytes(static_cast<double>(limits::kMaxInFlightBytes))),
         "send smaller batches, shorter texts or fewer at a time");
}
}  // namespace

void check_text_batch_in_flight(const ObjectReader& r, const TextBatchDriverSpec& d,
                                std::int64_t longest_text_bytes) {
  check_in_flight(r, "batch_size",
                  static_cast<std::int64_t>(d.batch_size) * d.concurrency * longest_text_bytes,
                  "batch_size x the longest text x concurrency");
}

void check_redis_in_flight(const ObjectReader& r, const RedisQueueDriverSpec& d,
                           std::int64_t longest_text_bytes) {
  const std::int64_t job =
      d.job_template ? static_cast<std::int64_t>(d.job_template->size()) + longest_text_bytes
                     : d.payload_bytes;
  check_in_flight(r, "pipeline",
                  static_cast<std::int64_t>(d.pipeline) * std::max(1, d.producers) * job,
                  "pipeline x a job's bytes x producers");
}

TextsSpec parse_texts(ObjectReader texts, const std::string& scenario_dir) {
  const bool has_file = texts.has("file"), has_generate = texts.has("generate");
  if (has_file == has_generate) {
    texts.fail_here("expected exactly one of 'file' and 'generate'",
                    R"(for example {"file": "texts.txt"} or {"generate": {"count": 1000}})");
  }
  TextsSpec out;
  if (has_file) {
    const std::string file = texts.get_string("file");
    if (file.empty()) texts.fail("file", "expected a file name, got an empty string");
    const std::filesystem::path p(file);
    out = TextFileSource{
        p.is_absolute() ? file
                        : (std::filesystem::path(scenario_dir) / p).lexically_normal().string()};
  } else {
    ObjectReader g = texts.get_object("generate");
    TextGenerateSource gen;
    gen.count = g.opt_int("count", 1, 10'000'000).value_or(gen.count);
    gen.min_words = static_cast<int>(g.opt_int("min_words", 1, 100'000).value_or(gen.min_words));
    gen.max_words = static_cast<int>(g.opt_int("max_words", 1, 100'000).value_or(gen.max_words));
    if (gen.max_words < gen.min_words) {
      g.fail("max_words",
             fmt::format("max_words ({}) is below min_words ({})", gen.max_words, gen.min_words));
    }
    gen.seed = static_cast<std::uint64_t>(g.opt_int("seed", 0, INT64_MAX).value_or(1));
    if (generated_corpus_max_bytes(gen) > limits::kMaxCorpusBytes) {
      g.fail_here(fmt::format("{} texts of up to {} words make up to {} of texts, more than the "
                              "{} memgate holds",
                              gen.count, gen.max_words,
                              format_bytes(static_cast<double>(generated_corpus_max_bytes(gen))),
                              format_bytes(static_cast<double>(limits::kMaxCorpusBytes))),
                  "generate fewer or shorter texts: the corpus is sent round and round, so a "
                  "few thousand texts are enough");
    }
    g.reject_unknown_keys();
    out = gen;
  }
  texts.reject_unknown_keys();
  return out;
}

int service_port(ObjectReader& r, std::string_view key, const DriverParseContext& c) {
  const std::string service = r.get_string(key);
  if (std::find(c.service_names.begin(), c.service_names.end(), service) == c.service_names.end()) {
    const auto guess = closest_word(service, c.service_names);
    r.fail(key, fmt::format("there is no service '{}'", service),
           guess ? fmt::format("did you mean '{}'?", *guess)
                 : "name one of the scenario's services (the Redis the SUT uses)");
  }
  const auto port = c.service_ports.find(service);
  if (port == c.service_ports.end()) {
    r.fail(key,
           fmt::format("the service '{}' uses no {{port:{}}}: memgate cannot know where "
                       "it listens",
                       service, service),
           fmt::format("start it with \"--port\", \"{{port:{}}}\"", service));
  }
  return port->second;
}

std::vector<std::string> read_queue_keys(ObjectReader& r, std::string_view key) {
  constexpr std::size_t kMaxKeyBytes = 200;
  auto names = r.opt_string_array(key, 1, 1024);
  if (!names) r.fail(key, fmt::format("required key '{}' is missing (the lists' keys)", key));
  std::set<std::string> seen;
  for (const auto& name : *names) {
    if (name.empty() || name.size() > kMaxKeyBytes) {
      r.fail(key, fmt::format("expected keys of 1 to {} bytes", kMaxKeyBytes));
    }
    if (!seen.insert(name).second) r.fail(key, fmt::format("'{}' is named twice", name));
  }
  return std::move(*names);
}

std::optional<std::string> opt_env_name(ObjectReader& r, std::string_view key) {
  auto env = r.opt_string(key);
  if (env && (env->empty() || env->find_first_of("=\0", 0, 2) != std::string::npos)) {
    r.fail(key, "expected the name of an environment variable",
           "the secret itself never goes in a file: export it and name the variable here");
  }
  return env;
}

}  // namespace memgate::driver_parsing
