#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace memgate {

// An http:// URL split into what a client needs. No https: memgate loads local services.
struct HttpUrl {
  std::string host;    // "127.0.0.1", "localhost", "::1" (brackets removed)
  int port = 80;
  std::string target;  // path and query, at least "/"
};

// Parses "http://HOST[:PORT][/PATH[?QUERY]]". nullopt when it is not such a URL.
std::optional<HttpUrl> parse_http_url(std::string_view text);

// True for loopback hosts: 127.0.0.0/8, ::1 and "localhost". memgate drives load only at these
// unless the user explicitly allows remote targets.
bool is_loopback_host(std::string_view host);

}  // namespace memgate
