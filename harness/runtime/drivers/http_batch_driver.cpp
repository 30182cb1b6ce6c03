#include "runtime/drivers/http_batch_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/model/errors.hpp"
#include "core/model/url.hpp"
#include "runtime/drivers/batch_plan.hpp"
#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr auto kDrainTimeout = std::chrono::seconds(5);  // for requests in flight at stop
}  // namespace

struct HttpBatchDriver::State {
  TextBatchDriverSpec spec;
  std::shared_ptr<const TextCorpus> corpus;
  int worker_threads;
  HttpUrl url;
  std::string host_header;
  asio::io_context io;
  tcp::resolver::results_type endpoints;
  BatchPlan plan;
  std::vector<std::thread> threads;
  Clock::time_point deadline;
  std::atomic<bool> stop{false};
  std::atomic<int> active{0};  // connections still working
  std::mutex mutex;
  std::optional<std::string> fatal;
  struct Connection;
  std::vector<std::shared_ptr<Connection>> connections;

  State(TextBatchDriverSpec s, std::shared_ptr<const TextCorpus> c, int workers)
      : spec(std::move(s)),
        corpus(std::move(c)),
        worker_threads(workers),
        url(*parse_http_url(spec.url)),
        plan(spec.batch_size, spec.rate_per_s) {
    host_header = url.host.find(':') != std::string::npos
                      ? fmt::format("[{}]:{}", url.host, url.port)
                      : fmt::format("{}:{}", url.host, url.port);
  }

  bool keep_going() const { return !stop.load() && Clock::now() < deadline; }

  void set_fatal(const std::string& what) {
    std::lock_guard lock(mutex);
    if (!fatal) fatal = what;
  }
};

// One keep-alive connection: claim a batch, wait until it is due, POST it, read the answer,
// again. Its handlers run one after another (one operation in flight), so it needs no strand.
struct HttpBatchDriver::State::Connection : std::enable_shared_from_this<Connection> {
  State& s;
  beast::tcp_stream stream;
  asio::steady_timer timer;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  // The answer's body is read through a scratch buffer and dropped: only the status counts,
  // and copying vectors the driver never looks at would take CPU from the SUT.
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::array<char, 16384> scratch{};
  BatchPlan::Batch batch;
  bool connected = false;

  explicit Connection(State& state) : s(state), stream(state.io), timer(state.io) {
    // The headers are the same for every request: set once, only the body changes.
    request = {http::verb::post, s.url.target, 11};
    request.set(http::field::host, s.host_header);
    request.set(http::field::user_agent, "memgate/" MEMGATE_VERSION);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
  }

  void open(std::function<void(beast::error_code)> then) {
    stream.expires_after(kConnectTimeout);
    stream.async_connect(s.endpoints, [self = shared_from_this(), then](
                                          beast::error_code ec, const tcp::endpoint&) {
      self->connected = !ec;
      then(ec);
    });
  }

  void finish() { --s.active; }

  void next() {
    if (!s.keep_going()) return finish();
    const auto b = s.plan.next();
    if (!b) return finish();
    batch = *b;
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

  void send() {
    if (!connected) {
      open([self = shared_from_this()](beast::error_code ec) {
        if (ec) {
          self->s.set_fatal(fmt::format("cannot connect to {} again: {}", self->s.spec.url,
                                        ec.message()));
          self->s.plan.failed(self->batch, "connect");
          return self->finish();
        }
        self->send();
      });
      return;
    }
    request.body() = s.corpus->json_body(batch.first_text, batch.count);
    request.prepare_payload();
    stream.expires_after(std::chrono::microseconds(
        static_cast<long long>(s.spec.request_timeout_s * 1e6)));
    http::async_write(stream, request,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail(ec);
                        self->parser.emplace();
                        self->parser->body_limit(boost::none);
                        self->read_more();
                      });
  }

  void read_more() {
    parser->get().body().data = scratch.data();
    parser->get().body().size = scratch.size();
    http::async_read(stream, buffer, *parser, [self = shared_from_this()](beast::error_code ec,
                                                                          std::size_t) {
      if (ec == http::error::need_buffer) ec = {};  // the scratch buffer is full: read on
      if (ec) return self->fail(ec);
      if (!self->parser->is_done()) return self->read_more();
      self->on_response();
    });
  }

  void on_response() {
    const auto& response = parser->get();
    const unsigned status = response.result_int();
    if (status >= 200 && status < 300) {
      s.plan.completed(batch, Clock::now());
    } else {
      s.plan.failed(batch, std::to_string(status));
    }
    if (!response.keep_alive()) close();
    next();
  }

  void fail(beast::error_code ec) {
    const std::string reason = ec == beast::error::timeout            ? "timeout"
                               : ec == http::error::end_of_stream ||
                                         ec == asio::error::eof ||
                                         ec == asio::error::connection_reset
                                   ? "closed"
                                   : "malformed";
    s.plan.failed(batch, reason);
    close();
    next();
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.consume(buffer.size());
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
  if (s.active.load() > 0) r.details["abandoned_connections"] = s.active.load();
  std::lock_guard lock(s.mutex);
  if (s.fatal) r.problems.push_back(*s.fatal);
  return r;
}

}  // namespace memgate
