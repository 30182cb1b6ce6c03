#include <catch2/catch.hpp>

#include "core/model/units.hpp"
#include "core/model/url.hpp"

using namespace memgate;

TEST_CASE("format_bytes") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1536) == "1.50 KiB");
  CHECK(format_bytes(200.0 * 1024 * 1024) == "200 MiB");
  CHECK(format_bytes(-4.0 * 1024 * 1024) == "-4.00 MiB");
  CHECK(format_bytes(12.34 * 1024 * 1024 * 1024) == "12.3 GiB");
}

TEST_CASE("parse_http_url") {
  auto u = parse_http_url("http://127.0.0.1:8080/embed?x=1");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->target == "/embed?x=1");
  u = parse_http_url("http://[::1]:9/");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 9);
  u = parse_http_url("http://localhost");
  REQUIRE(u);
  CHECK(u->port == 80);
  CHECK(u->target == "/");
  CHECK_FALSE(parse_http_url("https://127.0.0.1/"));
  CHECK_FALSE(parse_http_url("http://:80/"));
  CHECK_FALSE(parse_http_url("http://127.0.0.1:0/"));
  CHECK_FALSE(parse_http_url("http://127.0.0.1:/"));
  CHECK_FALSE(parse_http_url("http://user:pw@127.0.0.1/"));
  CHECK_FALSE(parse_http_url("http://[::1/"));
  CHECK_FALSE(parse_http_url("http://@127.0.0.1/"));  // an empty userinfo is one too
  // The scheme in any case, as clients read it; a fragment is not sent.
  u = parse_http_url("HTTP://127.0.0.1:8/a#frag");
  REQUIRE(u);
  CHECK(u->target == "/a");
}

TEST_CASE("parse_url: the host clients connect to, or nothing when they could read two") {
  const auto host = [](const char* text) {
    const auto url = parse_url(text);
    return url ? url->host : std::string("<none>");
  };
  CHECK(host("http://user@10.0.0.1/") == "10.0.0.1");
  CHECK(host("http://user:pw@10.0.0.1:80/x") == "10.0.0.1");
  CHECK(host("HtTp://10.0.0.1") == "10.0.0.1");
  CHECK(host("redis://:secret@10.0.0.2:6379/0") == "10.0.0.2");
  CHECK(host("rediss://[2001:db8::1]:6380") == "2001:db8::1");
  CHECK(host("http://127.0.0.1?@10.0.0.1/") == "127.0.0.1");  // '@' in the query
  CHECK(host("http://127.0.0.1#@10.0.0.1/") == "127.0.0.1");
  CHECK(host("unix:///run/redis.sock").empty());
  // Ambiguous or malformed: two '@', a backslash, a space, a bad port, an open bracket.
  CHECK(host("http://a@127.0.0.1@10.0.0.1/") == "<none>");
  CHECK(host("http://127.0.0.1\\@10.0.0.1/") == "<none>");
  CHECK(host("http://10.0.0.1 /") == "<none>");
  CHECK(host("http://10.0.0.1:99999/") == "<none>");
  CHECK(host("http://[::1") == "<none>");
  CHECK(host("http://::1/") == "<none>");
  CHECK(host("1http://10.0.0.1/") == "<none>");
  CHECK(host("no scheme") == "<none>");
  const auto url = parse_url("REDIS://u:p@localhost:7000/2");
  REQUIRE(url);
  CHECK(url->scheme == "redis");
  CHECK(url->userinfo == "u:p");
  CHECK(url->port == 7000);
  CHECK(url->target == "/2");
}

TEST_CASE("loopback hosts") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("LocalHost"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host("::2"));
  CHECK_FALSE(is_loopback_host("localhost.example.com"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("localhost."));  // another name to resolve
  CHECK_FALSE(is_loopback_host("127.1"));       // inet_aton's short forms: refused
  CHECK_FALSE(is_loopback_host("0x7f000001"));
  CHECK_FALSE(is_loopback_host("::ffff:8.8.8.8"));
  CHECK_FALSE(is_loopback_host("%31%32%37.0.0.1"));
}
