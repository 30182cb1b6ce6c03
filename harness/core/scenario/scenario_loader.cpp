#include "core/scenario/scenario_loader.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "core/model/errors.hpp"
#include "core/model/text_file.hpp"
#include "core/model/url.hpp"
#include "core/scenario/placeholders.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate {

using nlohmann::json;
using namespace scenario_parts;

namespace {

// The port validation expands {port} to; instantiate() uses the run's real port.
constexpr int kValidationPort = 1;
// A scenario using {port} is validated with this one too: valid with the shortest and the longest
// port text, it is valid with the port of any run ("{port}0" or a 99-letter "x{port}" name pass
// with 1 but no run could use them).
constexpr int kLongestPort = 65535;

std::string folder_of(const std::string& file) {
  if (file.empty()) return ".";
  const auto parent = std::filesystem::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

ReadyProbe parse_ready(ObjectReader r) {
  ReadyProbe probe;
  probe.timeout_s = r.opt_number("timeout_s", 0.001, 3600).value_or(10);
  const bool has_tcp = r.has("tcp"), has_log = r.has("log"), has_delay = r.has("delay_ms");
  if (has_tcp + has_log + has_delay != 1) {
    r.fail_here("expected exactly one of 'tcp', 'log', 'delay_ms'",
                R"(for example {"tcp": "127.0.0.1:{port}"} or {"log": "Ready to accept"})");
  }
  if (has_tcp) {
    const std::string target = r.get_string("tcp");
    const auto parsed = parse_http_url("http://" + target);
    if (!parsed || parsed->target != "/" || target.find(':') == std::string::npos) {
      r.fail("tcp", fmt::format("expected HOST:PORT, got '{}'", target),
             "for example \"127.0.0.1:{port}\" or \"[::1]:6379\"");
    }
    if (!is_loopback_host(parsed->host)) {
      r.fail("tcp", fmt::format("'{}' is not a loopback address", parsed->host),
             "the SUT runs on this machine: use 127.0.0.1 or [::1]");
    }
    probe.how = ReadyTcp{parsed->host, parsed->port};
  } else if (has_log) {
    const std::string text = r.get_string("log");
    if (text.empty()) r.fail("log", "expected a non-empty text to look for in the SUT's output");
    probe.how = ReadyLog{text};
  } else {
    probe.how = ReadyDelay{static_cast<int>(r.get_int("delay_ms", 0, 3'600'000))};
  }
  r.reject_unknown_keys();
  return probe;
}

SutSpec parse_sut(ObjectReader r, const std::string& scenario_dir) {
  SutSpec sut;
  auto command = r.opt_string_array("command", 1, 4096);
  if (!command) r.fail("command", "required key 'command' is missing (an argv array)",
                       R"(for example ["redis-server", "--port", "{port}"])");
  if ((*command)[0].empty()) {
    throw InputError(r.file(), json_pointer_child(r.child_path("command"), "0"),
                     "the program name is empty");
  }
  for (const auto& arg : *command) {
    if (arg.find('\0') != std::string::npos) r.fail("command", "an argument contains a NUL byte");
  }
  sut.command = std::move(*command);
  sut.env = r.opt_string_map("env").value_or(std::map<std::string, std::string>{});
  for (const auto& [key, value] : sut.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      throw InputError(r.file(), json_pointer_child(r.child_path("env"), key),
                       fmt::format("'{}' is not a valid environment variable", key));
    }
  }
  const std::string cwd = r.opt_string("cwd").value_or(".");
  if (cwd.empty()) r.fail("cwd", "expected a folder, got an empty string");
  auto resolved = std::filesystem::path(cwd).is_absolute()
                      ? std::filesystem::path(cwd)
                      : (std::filesystem::path(scenario_dir) / cwd).lexically_normal();
  sut.cwd = resolved.has_filename() ? resolved.string() : resolved.parent_path().string();
  if (auto ready = r.opt_object("ready")) sut.ready = parse_ready(std::move(*ready));
  sut.stop_grace_s = r.opt_number("stop_grace_s", 0, 600).value_or(5);
  r.reject_unknown_keys();
  return sut;
}

WatchSpec parse_watch(std::optional<ObjectReader> r) {
  WatchSpec watch;
  if (!r) return watch;
  watch.interval_ms = static_cast<int>(r->opt_int("interval_ms", 1, 60'000).value_or(50));
  if (r->opt_enum("memory", {"rss", "pss"}).value_or("rss") == "pss") {
    watch.memory = MemoryKind::pss;
  }
  r->reject_unknown_keys();
  return watch;
}

constexpr double kMaxPhaseS = 7 * 24 * 3600;

PhasesSpec parse_phases(ObjectReader r, bool is_command) {
  PhasesSpec p;
  p.idle_s = r.opt_number("idle_s", 0, kMaxPhaseS).value_or(0);
  p.warmup_s = r.opt_number("warmup_s", 0, kMaxPhaseS).value_or(0);
  p.cooldown_s = r.opt_number("cooldown_s", 0, kMaxPhaseS).value_or(0);
  p.load_s = r.opt_number("load_s", 0.001, kMaxPhaseS);
  p.load_ops = r.opt_int("load_ops", 1, 1'000'000'000'000);
  const auto timeout = r.opt_number("load_timeout_s", 0.001, kMaxPhaseS);
  if (is_command) {
    const char* why = "a command scenario's load is the command's whole life";
    if (p.load_s) r.fail("load_s", why, "bound it with load_timeout_s instead");
    if (p.load_ops) r.fail("load_ops", why, "bound it with load_timeout_s instead");
    if (p.idle_s > 0) r.fail("idle_s", "a command scenario has no idle phase", "remove idle_s");
    if (p.cooldown_s > 0) {
      r.fail("cooldown_s", "a command scenario has no cool-down phase", "remove cooldown_s");
    }
  } else {
    if (p.load_s.has_value() == p.load_ops.has_value()) {
      r.fail_here("expected exactly one of 'load_s' (seconds of load) and 'load_ops' (operations)");
    }
    if (timeout && !p.load_ops) {
      r.fail("load_timeout_s", "load_timeout_s bounds a load_ops load; load_s already ends the load");
    }
  }
  p.load_timeout_s = timeout.value_or(600);
  r.reject_unknown_keys();
  return p;
}

const std::regex& name_pattern() {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  return kName;
}

Scenario parse_expanded(const json& expanded, const json& source, const std::string& file,
                        const ScenarioContext& context) {
  ObjectReader r(expanded, "", file);
  Scenario s;
  s.file = file;
  s.source = source;
  s.context = context;
  r.opt_string("$schema");  // editors' hint; allowed, not used
  s.name = r.get_string("name");
  if (!std::regex_match(s.name, name_pattern())) {
    r.fail("name", fmt::format("'{}' is not a valid name", s.name.substr(0, 100)),
           "use letters, digits, '.', '_' and '-' (up to 100): it names the baseline and report "
           "files");
  }
  s.description = r.opt_string("description").value_or("");
  const std::string scenario_dir = folder_of(file);
  s.driver = parse_driver(r.get_object("driver"), scenario_dir, context);
  const bool is_command = std::holds_alternative<CommandDriverSpec>(s.driver);
  s.sut = parse_sut(r.get_object("sut"), scenario_dir);
  if (is_command && s.sut.ready) {
    throw InputError(file, "/sut/ready",
                     "a command scenario has no readiness probe: its whole life is the load",
                     "remove sut.ready");
  }
  s.watch = parse_watch(r.opt_object("watch"));
  s.phases = parse_phases(r.get_object("phases"), is_command);
  s.repeat = static_cast<int>(r.opt_int("repeat", 1, 100).value_or(1));
  s.max_errors = r.opt_int("max_errors", 0, 1'000'000'000'000).value_or(0);
  s.gate = parse_gate(r.opt_object("gate"), s.driver, s.phases.cooldown_s);
  r.reject_unknown_keys();
  return s;
}

Scenario parse_with_port(const json& source, const std::string& file,
                         const ScenarioContext& context, int port) {
  const PlaceholderValues values{port, context.bindir, folder_of(file)};
  return parse_expanded(expand_placeholders(source, values, file), source, file, context);
}

}  // namespace

Scenario parse_scenario(json source, const std::string& file, const LoadOptions& options) {
  apply_overrides(source, options.overrides);
  try {
    Scenario scenario = parse_with_port(source, file, options.context, kValidationPort);
    if (uses_port_placeholder(source)) {
      try {
        parse_with_port(source, file, options.context, kLongestPort);
      } catch (const InputError& e) {
        throw InputError(e.file(), e.json_path(),
                         fmt::format("{} (with {{port}} = {}: it must be valid for any port)",
                                     e.problem(), kLongestPort),
                         e.hint());
      }
    }
    return scenario;
  } catch (const InputError& e) {
    // Name the --set that put a bad value or an unknown key in place.
    for (const auto& o : options.overrides) {
      const std::string path = o.json_path();
      if (e.json_path() == path || e.json_path().rfind(path + "/", 0) == 0) {
        throw InputError(e.file(), e.json_path(),
                         fmt::format("{} (set by --set {})", e.problem(), o.text), e.hint());
      }
    }
    throw;
  }
}

Scenario load_scenario_file(const std::string& path, const LoadOptions& options) {
  const std::string text = read_input_file(path, kMaxScenarioFileBytes);
  return parse_scenario(parse_json_text(text, path), path, options);
}

Scenario instantiate(const Scenario& scenario, int port) {
  return parse_with_port(scenario.source, scenario.file, scenario.context, port);
}

std::string scenario_hash(const Scenario& scenario) {
  json shaping = json::object();
  for (const char* key : {"name", "sut", "watch", "phases", "driver", "max_errors"}) {
    if (scenario.source.contains(key)) shaping[key] = scenario.source[key];
  }
  const std::string canonical = shaping.dump();  // object keys are sorted: canonical
  std::uint64_t hash = 0xcbf29ce484222325ULL;       // FNV-1a 64
  for (unsigned char c : canonical) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

bool needs_port(const Scenario& scenario) { return uses_port_placeholder(scenario.source); }

}  // namespace memgate
