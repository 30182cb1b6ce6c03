#include "runtime/drivers/http_batch_driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/drivers/http_request_parser.hpp"
#include "core/model/env_refs.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_array_count.hpp"
#include "core/model/secret_mask.hpp"
#include "core/model/url.hpp"
#include "runtime/drivers/batch_plan.hpp"
#include "runtime/env/environment.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr auto kDrainTimeout = std::chrono::seconds(5);  // for requests in flight at stop
constexpr std::size_t kQuoteBytes = 200;                 // of a mismatching answer's body
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::size_t kMaxCountedBodyBytes = 64 * 1024 * 1024;  // kept to count its entries
// Beast 1.74 compares the Content-Length with an *empty* body limit as if the limit were 0
// (basic_parser.ipp, finish_header): "body limit exceeded" whenever the header and the body
// arrive in separate reads, as from Python's http.server. So the limit is a number, never none.
constexpr std::uint64_t kBodyLimitBytes = 1ULL << 30;

bool is_success(unsigned status, const std::vector<int>& accepted) {
  if (accepted.empty()) return status >= 200 && status < 300;
  return std::find(accepted.begin(), accepted.end(), static_cast<int>(status)) != accepted.end();
}

// The peer closed (or reset) the connection: on a reused connection before any byte of the
// answer, the usual end of an idle keep-alive connection.
bool is_closed(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// How a transport failure is counted under load_outcomes.
std::string failure_kind(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (is_closed(ec) || ec == http::error::partial_message) return "closed";  // FIN mid-answer
  return "malformed";
}

}  // namespace

struct HttpBatchDriver::State {
  TextBatchDriverSpec spec;
  std::shared_ptr<const TextCorpus> corpus;
  int worker_threads;
  HttpUrl url;
  std::string host_header;
  http::verb method;
  std::vector<std::pair<std::string, std::string>> headers;  // {env:NAME} resolved
  std::optional<JsonArrayCounter> counter;
  asio::io_context io;
  tcp::resolver::results_type endpoints;
  BatchPlan plan;
  std::vector<std::thread> threads;
  Clock::time_point deadline;
  std::atomic<bool> stop{false};
  std::atomic<int> active{0};  // connections still working
  std::atomic<std::int64_t> resent{0};
  std::atomic<std::int64_t> connections_opened{0};
  std::mutex mutex;
  std::optional<std::string> fatal;
  std::optional<nlohmann::json> first_mismatch;
  struct Connection;
  std::vector<std::shared_ptr<Connection>> connections;

  State(TextBatchDriverSpec s, std::shared_ptr<const TextCorpus> c, int workers)
      : spec(std::move(s)),
        corpus(std::move(c)),
        worker_threads(workers),
        url(*parse_http_url(spec.url)),
        method(http::string_to_verb(spec.request.method)),
        plan(spec.batch_size, spec.rate_per_s) {
    host_header = url.host.find(':') != std::string::npos
                      ? fmt::format("[{}]:{}", url.host, url.port)
                      : fmt::format("{}:{}", url.host, url.port);
    if (spec.response.count_pointer) counter.emplace(*spec.response.count_pointer);
  }

  bool keep_going() const { return !stop.load() && Clock::now() < deadline; }

  void set_fatal(const std::string& what) {
    std::lock_guard lock(mutex);
    if (!fatal) fatal = what;
  }

  // Resolves the headers' {env:NAME} from the environment when the run starts (check_run_inputs
  // registered each value as a secret when the scenario loaded: masked in what memgate writes).
  void resolve_headers() {
    for (const auto& [name, value] : spec.request.headers) {
      std::string missing;
      std::string resolved = expand_env_refs(value, getenv_value, &missing);
      if (!missing.empty()) {
        throw RunError(
            fmt::format("driver.request.headers.{} names ${}, which is not set", name, missing),
            fmt::format("export {}=... before running memgate", missing));
      }
      if (!is_header_value(resolved)) {
        throw RunError(
            fmt::format("driver.request.headers.{}: the environment variable it "
                        "names makes a value HTTP cannot carry (a control character, "
                        "or over {} bytes)",
                        name, kMaxHeaderValueBytes));
      }
      headers.emplace_back(name, std::move(resolved));
    }
  }

  // The start of a server's answer, made safe to keep: a server may echo the request's headers
  // (a token included) in an error, so every secret is masked. Masks over kQuoteBytes plus the
  // longest secret, then cuts: a secret that starts within the quote is whole in what is masked.
  static std::string quote(std::string_view body) {
    std::string text = secrets::mask(body.substr(0, quote_source_bytes()));
    text.resize(std::min(text.size(), kQuoteBytes));
    return printable(text, 4 * kQuoteBytes);
  }

  // How much of a body to read to quote its start with the secrets masked.
  static std::size_t quote_source_bytes() { return kQuoteBytes + secrets::longest_form_bytes(); }

  // Keeps the load phase's first mismatch for the report; returns what to say of this one (with
  // the start of the body, for the first one: what the run's message quotes).
  std::string note_mismatch(unsigned status, const std::string& problem, std::string_view body) {
    std::lock_guard lock(mutex);
    if (first_mismatch) return problem;
    const std::string start = quote(body);
    first_mismatch = {{"status", status}, {"problem", problem}, {"body_start", start}};
    return start.empty() ? problem : fmt::format("{}; the body starts: {}", problem, start);
  }
};

// One connection: claim a batch, wait until it is due, send it, read the answer, again. Its
// handlers run one after another (one operation in flight), so it needs no strand.
struct HttpBatchDriver::State::Connection : std::enable_shared_from_this<Connection> {
  State& s;
  beast::tcp_stream stream;
  asio::steady_timer timer;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  // The answer's body goes through a scratch buffer: only what the checks need is kept (the
  // first bytes to quote, all of it to count the entries), since copying vectors the driver
  // never looks at would take CPU from the SUT.
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::array<char, 16384> scratch{};
  std::string body;
  bool body_over_limit = false;
  BatchPlan::Batch batch;
  bool connected = false;
  int answers_here = 0;  // answers read on this connection since it was opened
  bool resent = false;   // the current batch was sent again on a new connection

  explicit Connection(State& state) : s(state), stream(state.io), timer(state.io) {
    // Beast reads max(512, free capacity) bytes at a time: without room, a 30 KB answer takes
    // 60 recvmsg() calls and as many timer updates, several times wrk's CPU per request.
    buffer.reserve(kReadBufferBytes);
    // The headers are the same for every request: set once, only the body changes.
    request = {s.method, s.url.target, 11};
    request.set(http::field::host, s.host_header);
    request.set(http::field::user_agent, "memgate/" MEMGATE_VERSION);
    for (const auto& [name, value] : s.headers) request.set(name, value);
    request.keep_alive(true);
  }

  void open(std::function<void(beast::error_code)> then) {
    stream.expires_after(kConnectTimeout);
    stream.async_connect(
        s.endpoints, [self = shared_from_this(), then](beast::error_code ec, const tcp::endpoint&) {
          self->connected = !ec;
          self->answers_here = 0;
          if (!ec) ++self->s.connections_opened;
          then(ec);
        });
  }

  void finish() { --s.active; }

  void next() {
    if (!s.keep_going()) return finish();
    const auto b = s.plan.next();
    if (!b) return finish();
    batch = *b;
    resent = false;
    if (s.plan.open_model() && batch.intended > Clock::now()) {
      timer.expires_at(batch.intended);
      timer.async_wait([self = shared_from_this()](beast::error_code) {
        if (!self->s.keep_going()) return self->finish();
        self->send();
      });
      return;
    }
    send();
  }

  void render_body() {
    std::string& out = request.body();
    out.clear();
    out += s.spec.request.body_before;
    if (s.spec.request.one_text) {
      out += s.corpus->json_text(batch.first_text);
    } else {
      s.corpus->append_json_array(out, batch.first_text, batch.count);
    }
    out += s.spec.request.body_after;
    request.prepare_payload();
  }

  void send() {
    if (!connected) {
      open([self = shared_from_this()](beast::error_code ec) {
        if (ec) {
          const std::string what =
              fmt::format("cannot connect to {} again: {}", self->s.spec.url, ec.message());
          self->s.set_fatal(what);
          self->s.plan.failed(self->batch, "connect", what);
          return self->finish();
        }
        self->send();
      });
      return;
    }
    render_body();
    parser.reset();  // until the write is done, no byte of an answer came (fail() asks)
    stream.expires_after(
        std::chrono::microseconds(static_cast<long long>(s.spec.request_timeout_s * 1e6)));
    http::async_write(stream, request,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail(ec);
                        self->parser.emplace();
                        self->parser->body_limit(kBodyLimitBytes);
                        self->body.clear();
                        self->body_over_limit = false;
                        self->read_more();
                      });
  }

  void read_more() {
    parser->get().body().data = scratch.data();
    parser->get().body().size = scratch.size();
    http::async_read(stream, buffer, *parser,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec == http::error::need_buffer) {
                         ec = {};  // the scratch buffer is full: read on
                       }
                       if (ec) return self->fail(ec);
                       self->keep_body();
                       if (!self->parser->is_done()) return self->read_more();
                       self->on_response();
                     });
  }

  // Keeps what the checks need of the bytes just read into scratch: all of them to count the
  // entries (up to kMaxCountedBodyBytes), else enough to quote the start with secrets masked.
  void keep_body() {
    const std::size_t got = scratch.size() - parser->get().body().size;
    const std::size_t limit = s.counter ? kMaxCountedBodyBytes : State::quote_source_bytes();
    if (s.counter && body.size() + got > limit) body_over_limit = true;
    body.append(scratch.data(), std::min(got, limit - std::min(limit, body.size())));
  }

  void on_response() {
    ++answers_here;
    const auto& response = parser->get();
    const unsigned status = response.result_int();
    std::string problem;
    if (!is_success(status, s.spec.response.statuses)) {
      problem = s.spec.response.statuses.empty()
                    ? fmt::format("status {} is not 2xx", status)
                    : fmt::format("status {} is not in response.status [{}]", status,
                                  fmt::join(s.spec.response.statuses, ", "));
    } else if (s.counter && body_over_limit) {
      problem = fmt::format("the body is over {} MiB: its entries were not counted",
                            kMaxCountedBodyBytes >> 20);
    } else if (s.counter) {
      const auto counted = s.counter->count(body);
      if (!counted.entries) {
        problem = counted.problem;
      } else if (*counted.entries != batch.count) {
        problem = fmt::format("'{}' holds {} entries for {} texts", *s.spec.response.count_pointer,
                              *counted.entries, batch.count);
      }
    }
    if (problem.empty()) {
      s.plan.completed(batch, Clock::now());
    } else {
      s.plan.failed(batch, "mismatch",
                    batch.load ? s.note_mismatch(status, problem, body) : problem);
    }
    if (!response.keep_alive()) close();
    next();
  }

  void fail(beast::error_code ec) {
    const bool nothing_answered = !parser || !parser->got_some();
    if (is_closed(ec) && nothing_answered && answers_here > 0 && !resent) {
      // The server had closed this kept-alive connection before the request reached it.
      resent = true;
      ++s.resent;
      close();
      return send();
    }
    const std::string reason = failure_kind(ec);
    s.plan.failed(batch, reason,
                  reason == "timeout" ? fmt::format("no answer within request_timeout_s ({} s)",
                                                    s.spec.request_timeout_s)
                                      : ec.message());
    close();
    next();
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.consume(buffer.size());
    parser.reset();
    connected = false;
  }
};

HttpBatchDriver::HttpBatchDriver(TextBatchDriverSpec spec, std::shared_ptr<const TextCorpus> corpus,
                                 int worker_threads)
    : state_(std::make_unique<State>(std::move(spec), std::move(corpus), worker_threads)) {}

HttpBatchDriver::~HttpBatchDriver() {
  if (!state_->threads.empty()) stop();
}

void HttpBatchDriver::connect() {
  State& s = *state_;
  s.resolve_headers();
  beast::error_code ec;
  tcp::resolver resolver(s.io);
  s.endpoints = resolver.resolve(s.url.host, std::to_string(s.url.port), ec);
  if (ec) throw RunError(fmt::format("cannot resolve {}: {}", s.spec.url, ec.message()));
  std::optional<beast::error_code> first_error;
  for (int i = 0; i < s.spec.concurrency; ++i) {
    auto c = std::make_shared<State::Connection>(s);
    c->open([&first_error](beast::error_code e) {
      if (e && !first_error) first_error = e;
    });
    s.connections.push_back(std::move(c));
  }
  s.io.run();
  s.io.restart();
  if (first_error) {
    throw RunError(fmt::format("cannot connect to {}: {}", s.spec.url, first_error->message()),
                   "is the SUT listening there? see its log");
  }
}

void HttpBatchDriver::start(Clock::time_point deadline) {
  State& s = *state_;
  s.deadline = deadline;
  s.plan.start(Clock::now());
  s.active = static_cast<int>(s.connections.size());
  for (auto& c : s.connections) asio::post(s.io, [c] { c->next(); });
  int workers = s.worker_threads;
  if (workers <= 0) workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  workers = std::min(workers, s.spec.concurrency);
  for (int i = 0; i < workers; ++i) {
    s.threads.emplace_back([&s] {
      interrupt::block_in_this_thread();
      s.io.run();
    });
  }
}

void HttpBatchDriver::begin_load(std::optional<std::int64_t> op_limit) {
  state_->plan.begin_load(op_limit);
}

std::int64_t HttpBatchDriver::load_ops() const { return state_->plan.load_texts_done(); }

std::optional<Driver::Clock::time_point> HttpBatchDriver::limit_reached_at() const {
  return state_->plan.limit_reached_at();
}

std::optional<std::string> HttpBatchDriver::fatal() const {
  std::lock_guard lock(state_->mutex);
  return state_->fatal;
}

DriverReport HttpBatchDriver::stop() {
  State& s = *state_;
  s.stop = true;
  // Requests in flight finish (or time out); past the drain time they are abandoned.
  const auto until = Clock::now() + kDrainTimeout;
  while (s.active.load() > 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  s.io.stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  s.threads.clear();
  DriverReport r = s.plan.report(s.spec.concurrency);
  r.details["transport"] = "http";
  r.details["connections_opened"] = s.connections_opened.load();
  r.details["resent_batches"] = s.resent.load();
  if (s.active.load() > 0) r.details["abandoned_connections"] = s.active.load();
  std::lock_guard lock(s.mutex);
  if (s.first_mismatch) r.details["first_mismatch"] = *s.first_mismatch;
  if (s.fatal) r.problems.push_back(*s.fatal);
  return r;
}

}  // namespace memgate
