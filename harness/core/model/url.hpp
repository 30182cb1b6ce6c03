#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memgate {

// A URL's parts, as a load target guard and an HTTP client need them.
struct Url {
  std::string scheme;                   // lowercase ("http", "redis")
  std::optional<std::string> userinfo;  // before the '@', when there is one
  std::string host;  // "127.0.0.1", "localhost", "::1" (brackets removed); may be ""
  std::optional<int> port;
  std::string target;  // path and query, at least "/"
};

// Parses "SCHEME://[USERINFO@]HOST[:PORT][/PATH][?QUERY][#FRAGMENT]": any scheme (a letter,
// then letters, digits, '+', '-', '.'; any case), IPv6 literals in brackets. nullopt when text
// is not such a URL, or when clients could read its host two ways: two '@', a '\' before the
// path, a space or control character.
std::optional<Url> parse_url(std::string_view text);

// An http:// URL split into what a client needs. No https: memgate loads local services.
struct HttpUrl {
  std::string host;    // "127.0.0.1", "localhost", "::1" (brackets removed)
  int port = 80;
  std::string target;  // path and query, at least "/"
};

// Parses "http://HOST[:PORT][/PATH[?QUERY]]" (the scheme in any case; no credentials; a
// fragment is dropped). nullopt when it is not such a URL.
std::optional<HttpUrl> parse_http_url(std::string_view text);

// True for loopback hosts: 127.0.0.0/8, ::1 and "localhost" (any case). memgate drives load only
// at these unless the user explicitly allows remote targets.
bool is_loopback_host(std::string_view host);

}  // namespace memgate
