// The load-command driver kind: its parser and traits (the load itself is
// runtime/drivers/load_command_driver; its output is read by core/drivers/load_output).

#include <fmt/format.h>

#include <algorithm>

#include "core/drivers/command_targets.hpp"
#include "core/drivers/driver_kind.hpp"
#include "core/drivers/driver_parsing.hpp"
#include "core/model/errors.hpp"
#include "core/scenario/process_keys.hpp"

namespace memgate {

namespace {

bool has_arg(const std::vector<std::string>& argv, std::initializer_list<const char*> names) {
  return std::any_of(argv.begin() + 1, argv.end(), [&](const std::string& a) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return a == n; });
  });
}

// The targets a command names where memgate can see them (command_targets.hpp): loopback only
// unless the user allowed remote targets, as for memgate's own drivers; a command whose targets
// memgate cannot read (sh -c) needs that permission too. Errors name the argument (or the
// environment variable) that holds the target.
void check_targets(ObjectReader& r, const LoadCommandDriverSpec& d, bool allow_remote) {
  if (allow_remote) return;
  const CommandTargets found = find_command_targets(d.command, d.env);
  const auto at = [&](const CommandArg& arg) {
    return arg.env_name.empty()
               ? json_pointer_child(r.child_path("command"), std::to_string(arg.index))
               : json_pointer_child(r.child_path("env"), arg.env_name);
  };
  if (!found.hidden.empty()) {
    throw InputError(
        r.file(), at({found.hidden_at, "", ""}),
        fmt::format("{}: memgate cannot check that it loads only loopback addresses", found.hidden),
        "put the load program itself in driver.command (an argv, with its URL or -h), or pass "
        "--allow-remote");
  }
  for (const auto& arg : found.unreadable) {
    throw InputError(r.file(), at(arg),
                     fmt::format("'{}' names a target memgate cannot read (a URL it cannot parse, "
                                 "with two '@' or a '\\', or an empty host)",
                                 arg.text),
                     "write it as http://127.0.0.1:PORT/..., or pass --allow-remote");
  }
  for (const auto& target : found.targets) {
    driver_parsing::require_allowed_host(r.file(), at(target.arg), target.host, allow_remote);
  }
}

LoadParser parse_parser(ObjectReader& r) {
  const auto name = r.opt_enum("parser", {"wrk", "redis-benchmark", "json-line"});
  if (!name) return LoadParser::none;
  if (*name == "wrk") return LoadParser::wrk;
  if (*name == "redis-benchmark") return LoadParser::redis_benchmark;
  return LoadParser::json_line;
}

class LoadCommandKind : public DriverKind {
 public:
  std::string_view name() const override { return "load-command"; }

  DriverSpec parse(ObjectReader& r, const DriverParseContext& c) const override {
    LoadCommandDriverSpec d;
    d.command = read_command(r);
    d.env = read_env(r);
    check_targets(r, d, c.allow_remote);
    d.cwd = read_cwd(r, c.scenario_dir);
    d.stop_grace_s = r.opt_number("stop_grace_s", 0, 600).value_or(d.stop_grace_s);
    d.once = r.opt_bool("once").value_or(false);
    d.parser = parse_parser(r);
    if (const auto overrun = r.opt_number("overrun_s", 0, 3600)) {
      if (d.parser == LoadParser::none) {
        r.fail("overrun_s",
               "overrun_s lets a command finish printing what it did: it needs a parser",
               "set driver.parser, or remove overrun_s (a command without a parser is stopped "
               "at the end of its phase)");
      }
      d.overrun_s = *overrun;
    }
    if (auto drain = r.opt_object("drain")) {
      LoadCommandDrain q;
      q.port = driver_parsing::service_port(*drain, "redis", c);
      q.redis_service = drain->get_string("redis");
      q.queue_names = driver_parsing::read_queue_keys(*drain, "queue_names");
      drain->reject_unknown_keys();
      d.drain = std::move(q);
    }
    if (d.parser == LoadParser::redis_benchmark) {
      if (!has_arg(d.command, {"--csv"})) {
        r.fail("parser", "the redis-benchmark parser reads its --csv output",
               R"(add "--csv" to driver.command)");
      }
      if (has_arg(d.command, {"-l"})) {
        r.fail("parser", "redis-benchmark -l loops forever and never prints its summary",
               R"(give a request count instead: "-n", "{ops}")");
      }
    }
    return d;
  }

  DriverTraits traits(const DriverSpec& spec) const override {
    const auto& d = std::get<LoadCommandDriverSpec>(spec);
    DriverTraits t;
    t.live_ops = false;
    t.runs_load_processes = true;
    t.counts_ops = d.parser != LoadParser::none;
    t.has_latency = t.counts_ops;
    t.no_latency_reason = "a load command without a parser reports no latency: set driver.parser";
    if (d.parser == LoadParser::wrk && !has_arg(d.command, {"--latency", "-L"})) {
      t.has_latency = false;
      t.no_latency_reason =
          "wrk prints latency percentiles only with --latency: add it to driver.command";
    }
    t.has_latency_p95 = d.parser != LoadParser::wrk;
    if (d.drain) {
      t.redis =
          RedisTarget{d.drain->redis_service, "127.0.0.1", d.drain->port, "", d.drain->queue_names};
    }
    t.op_unit = d.parser == LoadParser::wrk || d.parser == LoadParser::redis_benchmark
                    ? "request"
                    : "operation";
    return t;
  }
};

}  // namespace

const char* load_parser_name(LoadParser parser) {
  switch (parser) {
    case LoadParser::wrk:
      return "wrk";
    case LoadParser::redis_benchmark:
      return "redis-benchmark";
    case LoadParser::json_line:
      return "json-line";
    case LoadParser::none:
      break;
  }
  return "none";
}

const DriverKind& load_command_kind() {
  static const LoadCommandKind kKind;
  return kKind;
}

}  // namespace memgate
