#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "service.hpp"

namespace text_service {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

std::mutex g_record_mutex;
std::atomic<std::uint64_t> g_requests{0};

json vector_json(const std::vector<float>& v) {
  json out = json::array();
  for (float x : v) out.push_back(std::round(static_cast<double>(x) * 1e4) / 1e4);
  return out;
}

http::response<http::string_body> handle(const http::request<http::string_body>& request,
                                         const ServiceOptions& options, Embedder& embedder) {
  const auto reply = [&](http::status status, const json& body) {
    http::response<http::string_body> response{status, options.http10 ? 10 : request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive() && !options.http10);
    response.body() = body.dump();
    response.prepare_payload();
    return response;
  };
  if (request.target() == "/health") return reply(http::status::ok, {{"status", "ok"}});
  const char* path = options.openai ? "/v1/embeddings" : "/embed";
  const char* texts_key = options.openai ? "input" : "texts";
  if (request.target() != path || request.method() != http::verb::post) {
    return reply(http::status::not_found,
                 {{"error", std::string("POST ") + path + " or GET /health"}});
  }
  if (!options.token_env.empty()) {
    const std::string expected = std::string("Bearer ") + std::getenv(options.token_env.c_str());
    if (request[http::field::authorization] != expected) {
      return reply(http::status::unauthorized, {{"error", "missing or wrong bearer token"}});
    }
  }
  const std::uint64_t number = ++g_requests;
  if (options.fail_every > 0 && number % static_cast<std::uint64_t>(options.fail_every) == 0) {
    return reply(http::status::internal_server_error, {{"error", "failing on purpose"}});
  }
  const json body = json::parse(request.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains(texts_key) ||
      !body[texts_key].is_array()) {
    return reply(http::status::bad_request,
                 {{"error", std::string("expected {\"") + texts_key + "\": [...]}"}});
  }
  std::vector<std::string> texts;
  for (const auto& t : body[texts_key]) {
    if (!t.is_string()) return reply(http::status::bad_request, {{"error", "texts are strings"}});
    texts.push_back(t.get<std::string>());
  }
  const std::uint64_t before = embedder.texts();
  json vectors = json::array();
  for (const auto& text : texts) vectors.push_back(vector_json(embedder.embed(text)));
  ++g_batches;
  after_texts(options, texts, before);
  if (!options.openai) return reply(http::status::ok, {{"vectors", vectors}});
  json data = json::array();
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(vectors[i])}});
  }
  std::size_t words = 0;
  for (const auto& t : texts) {
    words += 1 + static_cast<std::size_t>(std::count(t.begin(), t.end(), ' '));
  }
  return reply(http::status::ok, {{"object", "list"},
                                  {"data", std::move(data)},
                                  {"model", body.contains("model") && body["model"].is_string()
                                                ? body["model"].get<std::string>()
                                                : std::string("memgate-text-service")},
                                  {"usage", {{"prompt_tokens", words}, {"total_tokens", words}}}});
}

void serve_connection(tcp::socket socket, const ServiceOptions& options, Embedder& embedder) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) break;  // closed, or not HTTP
    auto response = handle(request, options, embedder);
    http::write(socket, response, ec);
    if (ec || !response.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

void after_texts(const ServiceOptions& options, const std::vector<std::string>& texts,
                 std::uint64_t served_before) {
  if (!options.record_path.empty()) {
    std::lock_guard lock(g_record_mutex);
    std::ofstream record(options.record_path, std::ios::app | std::ios::binary);
    for (const auto& t : texts) record << t << '\n';
  }
  const std::uint64_t served = served_before + texts.size();
  if (options.crash_after_texts > 0 && served >= static_cast<std::uint64_t>(options.crash_after_texts)) {
    std::fprintf(stderr, "text-service: crashing on purpose after %ld texts\n",
                 options.crash_after_texts);
    std::fflush(stderr);
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  }
  if (options.exit_after_texts > 0 && served >= static_cast<std::uint64_t>(options.exit_after_texts)) {
    std::fprintf(stderr, "text-service: exiting on purpose after %ld texts\n",
                 options.exit_after_texts);
    std::fflush(stderr);
    std::_Exit(0);
  }
}

int serve_http(const ServiceOptions& options, Embedder& embedder) {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  const tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(options.port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "text-service: cannot listen on 127.0.0.1:%d: %s\n", options.port,
                 ec.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "text-service listening on 127.0.0.1:%d\n", options.port);
  std::fflush(stderr);
  while (true) {
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    std::thread(serve_connection, std::move(socket), std::cref(options), std::ref(embedder))
        .detach();
  }
}

int serve_stdin(const ServiceOptions& options, Embedder& embedder) {
  std::fprintf(stderr, "text-service ready (stdin)\n");
  std::fflush(stderr);
  bool stdout_open = true;
  long replies = 0;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::uint64_t before = embedder.texts();
    const auto vector = embedder.embed(line);
    after_texts(options, {line}, before);
    if (options.stall_after > 0 && replies >= options.stall_after) {
      for (;;) pause();  // stalls: answers nothing more, until killed
    }
    if (!stdout_open) continue;
    std::fputs((vector_json(vector).dump() + "\n").c_str(), stdout);
    std::fflush(stdout);
    g_batches = static_cast<std::uint64_t>(++replies);  // over stdin a batch is one line
    if (options.close_after > 0 && replies >= options.close_after) {
      std::fclose(stdout);  // closes early; keeps reading stdin
      stdout_open = false;
    }
  }
  print_summary(embedder);
  return 0;
}

}  // namespace text_service
