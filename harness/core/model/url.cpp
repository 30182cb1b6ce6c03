#include "core/model/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace memgate {

namespace {

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  const auto colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(text[0])) ||
      !std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon),
                   is_scheme_char)) {
    return std::nullopt;
  }
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
    return std::nullopt;
  }
  Url url;
  url.scheme = lowercase(text.substr(0, colon));
  text.remove_prefix(colon + 3);
  const auto end = text.find_first_of("/?#");
  std::string_view authority = text.substr(0, end);
  if (authority.find('\\') != std::string_view::npos) return std::nullopt;
  const std::string_view rest = end == std::string_view::npos ? "" : text.substr(end);
  url.target = std::string(rest.substr(0, rest.find('#')));
  if (url.target.empty()) url.target = "/";
  if (url.target.front() == '?') url.target = "/" + url.target;
  if (const auto at = authority.find('@'); at != std::string_view::npos) {
    if (authority.find('@', at + 1) != std::string_view::npos) return std::nullopt;
    url.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const auto port_colon = authority.find(':');
    url.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      has_port = true;
    }
  }
  if (url.host.find_first_of("[]:") != std::string::npos &&
      (authority.empty() || authority.front() != '[')) {
    return std::nullopt;
  }
  if (has_port) {
    int port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      return std::nullopt;
    }
    url.port = port;
  }
  return url;
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  const auto url = parse_url(text);
  if (!url || url->scheme != "http" || url->userinfo || url->host.empty()) {
    return std::nullopt;
  }
  return HttpUrl{url->host, url->port.value_or(80), url->target};
}

bool is_loopback_host(std::string_view host) {
  if (lowercase(host) == "localhost") return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace memgate
