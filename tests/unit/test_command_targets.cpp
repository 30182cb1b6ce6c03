// The loopback guard of load commands: every form a load tool takes its target in, through the
// wrappers that start it; what memgate cannot read is said, never let through.

#include <catch2/catch.hpp>

#include "core/drivers/command_targets.hpp"
#include "core/model/url.hpp"

using namespace memgate;

namespace {

// "refused", "hidden", "unreadable" or "ok": what the guard says of argv without --allow-remote.
std::string guard(const std::vector<std::string>& argv) {
  const CommandTargets found = find_command_targets(argv);
  if (!found.hidden.empty()) return "hidden";
  if (!found.unreadable.empty()) return "unreadable";
  for (const auto& t : found.targets) {
    if (!is_loopback_host(t.host))
      return "refused " + t.host + " at " + std::to_string(t.arg.index);
  }
  return "ok";
}

}  // namespace

TEST_CASE("command targets: the bypasses found by hand are refused, naming the argument") {
  CHECK(guard({"wrk", "http://user@10.1.2.3:80/"}) == "refused 10.1.2.3 at 1");
  CHECK(guard({"wrk", "-d5s", "HTTP://10.1.2.3/"}) == "refused 10.1.2.3 at 2");
  CHECK(guard({"redis-benchmark", "-u", "redis://10.1.2.3"}) == "refused 10.1.2.3 at 2");
  CHECK(guard({"redis-cli", "-u", "redis://:pw@10.1.2.3:6379"}) == "refused 10.1.2.3 at 2");
  CHECK(guard({"redis-cli", "--uri", "rediss://10.1.2.3"}) == "refused 10.1.2.3 at 2");
  CHECK(guard({"env", "redis-benchmark", "-h", "10.1.2.3"}) == "refused 10.1.2.3 at 3");
  CHECK(guard({"curl", "--url=http://10.1.2.3"}) == "refused 10.1.2.3 at 1");
  CHECK(guard({"sh", "-c", "wrk http://127.0.0.1/"}) == "hidden");
}

TEST_CASE("command targets: hosts in options, for any program and for the tools that have them") {
  CHECK(guard({"redis-benchmark", "-h", "evil.example", "-p", "6379"}) ==
        "refused evil.example at 2");
  CHECK(guard({"redis-benchmark", "-hevil.example"}) == "refused evil.example at 1");
  CHECK(guard({"redis-benchmark", "-h", "127.0.0.1", "-p", "6379"}) == "ok");
  CHECK(guard({"memtier_benchmark", "-s", "10.0.0.5"}) == "refused 10.0.0.5 at 2");
  CHECK(guard({"my-load", "--host", "10.0.0.5:8080"}) == "refused 10.0.0.5 at 2");
  CHECK(guard({"my-load", "--host=[2001:db8::1]:80"}) == "refused 2001:db8::1 at 1");
  CHECK(guard({"my-load", "--server", "2001:db8::7"}) == "refused 2001:db8::7 at 2");
  CHECK(guard({"my-load", "--host=[::1]:80", "--target", "localhost:9"}) == "ok");
  CHECK(guard({"curl", "-x", "proxy.example:3128", "http://127.0.0.1/"}) ==
        "refused proxy.example at 2");
  CHECK(guard({"curl", "--proxy", "http://proxy.example", "http://127.0.0.1/"}) ==
        "refused proxy.example at 2");
  CHECK(guard({"curl", "--resolve", "127.0.0.1:80:10.9.9.9", "http://127.0.0.1/"}) ==
        "refused 10.9.9.9 at 2");
  CHECK(guard({"curl", "--resolve", "x:80:[::1],127.0.0.2", "http://x/"}) == "refused x at 3");
  CHECK(guard({"curl", "--connect-to", "::10.9.9.9:80", "http://127.0.0.1/"}) ==
        "refused 10.9.9.9 at 2");
  CHECK(guard({"curl", "--connect-to", "a:1::2", "http://127.0.0.1/"}) == "ok");
  // A URL inside a longer argument: a header value, an option's value.
  CHECK(guard({"hey", "-H", "X-Upstream: http://10.3.3.3/", "http://127.0.0.1/"}) ==
        "refused 10.3.3.3 at 2");
  CHECK(guard({"k6", "run", "-e", "BASE=http://10.3.3.3", "script.js"}) == "refused 10.3.3.3 at 3");
  // A local socket goes nowhere else.
  CHECK(guard({"redis-cli", "-u", "unix:///run/redis.sock"}) == "ok");
}

TEST_CASE("command targets: through wrappers, with their options and arguments") {
  CHECK(guard({"/usr/bin/env", "A=1", "B=2", "wrk", "http://10.0.0.1/"}) ==
        "refused 10.0.0.1 at 4");
  CHECK(guard({"env", "-i", "-u", "HOME", "--chdir=/tmp", "wrk", "http://10.0.0.1/"}) ==
        "refused 10.0.0.1 at 6");
  CHECK(guard({"env", "-S", "redis-benchmark -h 10.0.0.9 -q"}) == "refused 10.0.0.9 at 2");
  CHECK(guard({"nice", "-n", "5", "wrk", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 4");
  CHECK(guard({"nice", "-n5", "wrk", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 3");
  CHECK(guard({"timeout", "-k", "5", "60", "wrk", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 5");
  CHECK(guard({"timeout", "--signal=INT", "60s", "nice", "redis-benchmark", "-h", "10.0.0.1"}) ==
        "refused 10.0.0.1 at 6");
  CHECK(guard({"stdbuf", "-oL", "taskset", "-c", "1", "wrk", "http://10.0.0.1/"}) ==
        "refused 10.0.0.1 at 6");
  CHECK(guard({"taskset", "0x3", "wrk", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 3");
  CHECK(guard({"chrt", "-f", "10", "wrk", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 4");
  CHECK(guard({"ionice", "-c", "2", "-n", "7", "nohup", "setsid", "time", "-o", "t.txt", "wrk",
               "http://10.0.0.1/"}) == "refused 10.0.0.1 at 11");
  CHECK(guard({"sudo", "-u", "load", "redis-benchmark", "-h", "10.0.0.1"}) ==
        "refused 10.0.0.1 at 5");
  CHECK(guard({"timeout", "60", "wrk", "http://127.0.0.1:8080/"}) == "ok");
}

TEST_CASE("command targets: shells' scripts and xargs cannot be read, script files are theirs") {
  for (const std::vector<std::string>& argv : {std::vector<std::string>{"sh", "-c", "true"},
                                               {"/bin/bash", "-ec", "true"},
                                               {"bash", "-o", "pipefail", "-c", "true"},
                                               {"dash", "+xc", "true"},
                                               {"env", "A=1", "zsh", "-c", "true"},
                                               {"timeout", "9", "bash", "--command", "true"},
                                               {"busybox", "sh", "-c", "true"},
                                               {"xargs", "wrk"}}) {
    INFO(argv[0] << " " << argv[1]);
    CHECK(guard(argv) == "hidden");
  }
  CHECK(guard({"bash", "load.sh", "http://127.0.0.1/"}) == "ok");
  CHECK(guard({"bash", "load.sh", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 2");
  CHECK(guard({"busybox", "wget", "http://10.0.0.1/"}) == "refused 10.0.0.1 at 2");
  const auto hidden = find_command_targets({"env", "sh", "-c", "x"});
  CHECK(hidden.hidden_at == 1);
}

TEST_CASE("command targets: a URL the guard cannot read is unreadable, not let through") {
  CHECK(guard({"wrk", "http://a@127.0.0.1@10.0.0.1/"}) == "unreadable");
  CHECK(guard({"curl", "http://127.0.0.1\\@10.0.0.1/"}) == "unreadable");
  CHECK(guard({"wrk", "http://127.0.0.1:99999/"}) == "unreadable");
  CHECK(guard({"wrk", "http:///path"}) == "unreadable");
  CHECK(guard({"my-load", "--host", "[::1"}) == "unreadable");
  CHECK(guard({"curl", "--resolve", "nonsense", "http://127.0.0.1/"}) == "unreadable");
}

TEST_CASE("command targets: load tools' URLs without a scheme, and proxies anywhere") {
  CHECK(guard({"curl", "-s", "-d", "@body.json", "evil.example/embed"}) ==
        "refused evil.example at 4");
  CHECK(guard({"wget", "-q", "-O", "out.json", "10.0.0.1:8080/x"}) == "refused 10.0.0.1 at 4");
  CHECK(guard({"curl", "-sS", "-XPOST", "127.0.0.1:8080/embed"}) == "ok");
  CHECK(guard({"wrk", "-t1", "-c2", "-d5s", "http://127.0.0.1:1/", "--", "8", "3.5"}) == "ok");
  CHECK(guard({"ab", "-n", "100", "-X", "proxy.example:3128", "http://127.0.0.1/"}) ==
        "refused proxy.example at 4");
  CHECK(guard({"curl", "--proxy1.0", "proxy.example:80", "http://127.0.0.1/"}) ==
        "refused proxy.example at 2");
  // A proxy in the command's environment takes the load elsewhere.
  CHECK(guard({"env", "http_proxy=http://evil.example:3128", "curl", "http://127.0.0.1/"}) ==
        "refused evil.example at 1");
  CHECK(guard({"env", "HTTPS_PROXY=evil.example:3128", "curl", "http://127.0.0.1/"}) ==
        "refused evil.example at 1");
  CHECK(guard({"sudo", "ALL_PROXY=10.9.9.9:1080", "curl", "http://127.0.0.1/"}) ==
        "refused 10.9.9.9 at 1");
  const auto env = find_command_targets({"curl", "http://127.0.0.1/"},
                                        {{"http_proxy", "evil.example:3128"}, {"LANG", "C"}});
  REQUIRE(env.targets.size() == 2);
  CHECK(env.targets[1].host == "evil.example");
  CHECK(env.targets[1].arg.env_name == "http_proxy");
  CHECK(find_command_targets({"wrk", "http://127.0.0.1/"}, {{"BASE", "http://10.1.1.1/"}})
            .targets.back()
            .host == "10.1.1.1");
}

TEST_CASE("command targets: a tool started by a program memgate does not know is still read") {
  CHECK(guard({"numactl", "-C0", "redis-benchmark", "-h", "evil.example"}) ==
        "refused evil.example at 4");
  CHECK(guard({"strace", "-f", "-o", "t.txt", "curl", "evil.example"}) ==
        "refused evil.example at 5");
  CHECK(guard({"taskset", "-c", "0-3:2", "redis-benchmark", "-h", "10.0.0.1"}) ==
        "refused 10.0.0.1 at 5");
  CHECK(guard({"prlimit", "--as=1000000", "sh", "-c", "true"}) == "hidden");
}

TEST_CASE("command targets: code in an argument, remote shells and target files are hidden") {
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"python3", "-c", "import urllib"},
        {"python3.11", "-uc", "x"},
        {"perl", "-le", "x"},
        {"ruby", "-e", "x"},
        {"node", "--eval", "x"},
        {"php", "-r", "x"},
        {"fish", "--command=x"},
        {"ssh", "host", "redis-benchmark"},
        {"wget", "-i", "urls.txt"},
        {"curl", "-K", "curl.cfg"},
        {"siege", "-f", "urls.txt"}}) {
    INFO(argv[0] << " " << argv[1]);
    CHECK(guard(argv) == "hidden");
  }
  // A script file's own arguments are its own, -c among them.
  CHECK(guard({"bash", "run.sh", "-c", "5"}) == "ok");
  CHECK(guard({"python3", "-u", "load.py", "-c", "5", "http://127.0.0.1/"}) == "ok");
}
