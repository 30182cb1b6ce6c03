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
}

TEST_CASE("loopback hosts") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host("::2"));
  CHECK_FALSE(is_loopback_host("localhost.example.com"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
}
