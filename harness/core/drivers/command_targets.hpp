#pragma once

// Where a load command connects, as far as memgate can read it from the command line and its
// environment, so that load goes only to loopback unless the user allows remote targets
// (--allow-remote). Read:
//   - every URL in any argument, in any form: "http://user@HOST/", "HTTP://HOST",
//     "redis://HOST:6379" (redis-cli/redis-benchmark -u), "--url=http://HOST", a URL inside a
//     header value or an environment variable's value;
//   - host options of any program (--host, --server, --target, --address, --url, --proxy...)
//     and of the load tools memgate knows (redis tools' -h, memtier's -s, curl's -x, --resolve
//     and --connect-to, ab's and hey's -X/-x), and the positional URLs of curl, wget, wrk, hey,
//     ab, oha, h2load and siege, with or without their scheme ("evil.example/x");
//   - proxy variables (http_proxy=HOST:PORT, in env assignments or the command's env);
//   - through wrappers that run a command: env (-S too), nice, timeout, nohup, setsid, stdbuf,
//     ionice, taskset, chrt, time, sudo; and a known program anywhere later in argv (numactl,
//     strace, flock... start it).
// Code in an argument (sh -c, bash -c, python3 -c, perl -e, node -e), xargs, ssh, and a tool's
// file of targets (wget -i, curl -K, siege -f) hide the targets: memgate cannot read them, and
// says so. Where a script file connects is its own business (its arguments are read).

#include <map>
#include <string>
#include <vector>

namespace memgate {

struct CommandArg {
  std::size_t index = 0;  // in argv (of env -S, the -S string's)
  std::string text;
  std::string env_name;  // not empty: the command's environment variable, not argv
};

struct CommandTarget {
  std::string host;  // as named (IPv6 without brackets)
  CommandArg arg;    // the argument that names it
};

struct CommandTargets {
  std::vector<CommandTarget> targets;
  std::vector<CommandArg> unreadable;  // arguments that name a target memgate cannot read
  std::string hidden;                  // not empty: why the command's targets cannot be read at all
  std::size_t hidden_at = 0;           // the argv index of the program that hides them
};

// The targets argv (argv[0]: the program, a path or a name) and its environment env name.
CommandTargets find_command_targets(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env = {});

}  // namespace memgate
