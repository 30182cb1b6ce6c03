// Fuzzes the loopback guard of load commands (core/drivers/command_targets). An input is an argv,
// one argument per line; its first bytes also choose a remote target to plant in it.
//
// Properties: reading any argv never fails and every index it reports is within argv; and the
// guard never lets through a command that names a remote host in any form it knows (a URL of any
// scheme in any case, with userinfo and port; -h of the redis tools; --host, --url=, curl's proxy
// and --resolve), whatever wrappers start it and whatever arguments follow the target (a URL:
// whatever arguments surround it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/drivers/command_targets.hpp"
#include "core/model/url.hpp"
#include "fuzz_support.hpp"

namespace {

using memgate::fuzz::fail;

// Hosts that are not loopback, some dressed up as one.
const char* const kRemoteHosts[] = {"10.1.2.3",      "evil.example",           "203.0.113.7",
                                    "0.0.0.0",       "127.0.0.1.evil.example", "localhost.evil",
                                    "[2001:db8::1]", "[::ffff:8.8.8.8]"};

// Wrapper prefixes that start the program (each a well-formed command of its own).
const std::vector<std::vector<std::string>> kWrappers = {
    {},
    {"env"},
    {"/usr/bin/env", "-u", "HOME", "A=1"},
    {"nice", "-n", "5"},
    {"timeout", "-k", "5", "60"},
    {"nohup"},
    {"setsid"},
    {"stdbuf", "-oL"},
    {"taskset", "-c", "1"},
    {"chrt", "-f", "10"},
    {"ionice", "-c", "2"},
    {"time", "-o", "t.txt"},
    {"sudo", "-u", "load"},
};

// Takes the next byte of the input (0 once it is used up).
struct Bytes {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  std::uint8_t next() { return at < size ? data[at++] : 0; }
};

// A string of n characters that a URL's userinfo or path may hold without ending that part.
std::string safe_text(Bytes& b, std::size_t n) {
  static const char kChars[] = "abcXYZ019-._~:%!$&'()*+,;=";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kChars[b.next() % (sizeof kChars - 1)];
  return out;
}

// "http" or "redis" with each letter's case from the input.
std::string scheme(Bytes& b) {
  std::string s = b.next() % 2 ? "http" : "redis";
  for (char& c : s) {
    if (b.next() % 2) c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// The remote host planted in one of the forms the guard knows. url_form: whether it is in a URL
// (read in any argument, wherever it stands) rather than the value of an option (which an option
// before it that takes a value would consume, for the tool as for the guard).
std::vector<std::string> planted(Bytes& b, std::string& program, bool& url_form) {
  const std::string host = kRemoteHosts[b.next() % (sizeof kRemoteHosts / sizeof *kRemoteHosts)];
  const std::string bare = host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  std::string url = scheme(b) + "://";
  if (b.next() % 2) url += safe_text(b, b.next() % 8) + "@";
  url += host;
  if (b.next() % 2) url += ":" + std::to_string(1 + b.next() * 251 % 65535);
  if (b.next() % 2) url += "/" + safe_text(b, b.next() % 8);
  const int form = b.next() % 9;
  url_form = form == 0 || form == 1 || form == 3 || form == 7;
  switch (form) {
    case 0:
      program = "wrk";
      return {url};
    case 1:
      program = "curl";
      return {"--url=" + url};
    case 2:
      program = "redis-benchmark";
      return {"-h", bare};
    case 3:
      program = "redis-cli";
      return {"-u", url};
    case 4:
      program = "my-load";
      return {"--host", host};
    case 5:
      program = "curl";
      return {"-x", host + ":3128", "http://127.0.0.1/"};
    case 6:
      program = "curl";
      return {"--resolve", "127.0.0.1:80:" + host, "http://127.0.0.1/"};
    case 7:
      program = "hey";
      return {"-H", "X-Up: " + url};
    default:
      program = "k6";
      return {"--address", bare + ":6565"};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = memgate::fuzz::as_text(data, size);
  std::vector<std::string> noise;
  for (std::size_t start = 0; start <= input.size();) {
    const auto eol = input.find('\n', start);
    noise.push_back(
        input.substr(start, eol == std::string::npos ? std::string::npos : eol - start));
    if (eol == std::string::npos) break;
    start = eol + 1;
  }
  // 1. Any argv.
  const auto any = memgate::find_command_targets(noise);
  for (const auto& t : any.targets) {
    if (t.arg.index >= noise.size()) fail("a target's index is past argv", t.arg.text);
  }
  for (const auto& a : any.unreadable) {
    if (a.index >= noise.size()) fail("an unreadable argument's index is past argv", a.text);
  }
  if (!any.hidden.empty() && any.hidden_at >= noise.size()) fail("hidden_at is past argv");

  // 2. A remote target planted among the input's arguments, behind a wrapper.
  Bytes b{data, size};
  std::vector<std::string> argv = kWrappers[b.next() % kWrappers.size()];
  std::string program;
  bool url_form = false;
  const std::vector<std::string> target = planted(b, program, url_form);
  argv.push_back(program);
  const std::size_t before = noise.empty() || !url_form ? 0 : b.next() % (noise.size() + 1);
  argv.insert(argv.end(), noise.begin(), noise.begin() + static_cast<std::ptrdiff_t>(before));
  argv.insert(argv.end(), target.begin(), target.end());
  argv.insert(argv.end(), noise.begin() + static_cast<std::ptrdiff_t>(before), noise.end());
  const auto found = memgate::find_command_targets(argv);
  if (!found.hidden.empty() || !found.unreadable.empty()) return 0;  // refused: cannot read it
  for (const auto& t : found.targets) {
    if (!memgate::is_loopback_host(t.host)) return 0;  // refused: a remote host
  }
  std::string shown;
  for (const auto& a : argv) shown += "[" + a + "] ";
  fail("a remote target got past the loopback guard", shown);
}
