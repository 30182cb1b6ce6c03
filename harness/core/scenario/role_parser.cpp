#include <fmt/format.h>

#include <filesystem>

#include "core/model/errors.hpp"
#include "core/model/url.hpp"
#include "core/scenario/process_keys.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate::scenario_parts {

namespace {

ReadyProbe parse_probe(ObjectReader r) {
  ReadyProbe probe;
  probe.timeout_s = r.opt_number("timeout_s", 0.001, 3600).value_or(10);
  const bool has_tcp = r.has("tcp"), has_log = r.has("log"), has_delay = r.has("delay_ms");
  const bool has_stdin = r.has("stdin");
  if (has_tcp + has_log + has_delay + has_stdin != 1) {
    r.fail_here("expected exactly one of 'tcp', 'log', 'delay_ms', 'stdin'",
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
             "the process runs on this machine: use 127.0.0.1 or [::1]");
    }
    probe.how = ReadyTcp{parsed->host, parsed->port};
  } else if (has_log) {
    const std::string text = r.get_string("log");
    if (text.empty()) r.fail("log", "expected a non-empty text to look for in the output");
    probe.how = ReadyLog{text};
  } else if (has_delay) {
    probe.how = ReadyDelay{static_cast<int>(r.get_int("delay_ms", 0, 3'600'000))};
  } else {
    if (r.opt_bool("stdin") != true) r.fail("stdin", "expected true (or no 'stdin' probe)");
    probe.how = ReadyStdin{};
  }
  r.reject_unknown_keys();
  return probe;
}

std::vector<ReadyProbe> parse_ready(ObjectReader& r) {
  const nlohmann::json* ready = r.opt_raw("ready");
  if (!ready) return {};
  if (ready->is_object()) return {parse_probe(*r.opt_object("ready"))};
  if (!ready->is_array()) {
    r.fail("ready",
           fmt::format("expected a probe object or a list of them, got {}", ready->type_name()));
  }
  if (ready->empty() || ready->size() > 16) {
    r.fail("ready", "expected 1 to 16 probes",
           "remove 'ready' for a process that is ready at once");
  }
  std::vector<ReadyProbe> probes;
  for (std::size_t i = 0; i < ready->size(); ++i) {
    probes.push_back(parse_probe(ObjectReader(
        (*ready)[i], json_pointer_child(r.child_path("ready"), std::to_string(i)), r.file())));
  }
  return probes;
}

// A destination inside {run_dir}: relative, without "..", at most 255 bytes.
bool is_safe_destination(const std::string& destination) {
  if (destination.empty() || destination.size() > 255 || destination.front() == '/') return false;
  for (const auto& part : std::filesystem::path(destination)) {
    if (part == ".." || part == ".") return false;
  }
  return destination.find('\0') == std::string::npos && destination.back() != '/';
}

std::vector<FileTemplate> parse_files(ObjectReader& r, const TemplateContext& t) {
  auto files = r.opt_string_map("files");
  if (!files) return {};
  std::vector<FileTemplate> out;
  for (const auto& [destination, source] : *files) {
    const std::string path = json_pointer_child(r.child_path("files"), destination);
    if (!is_safe_destination(destination)) {
      throw InputError(r.file(), path,
                       fmt::format("'{}' is not a file name inside the run's folder", destination),
                       "use a relative path without '..', e.g. \"conf/nginx.conf\"");
    }
    if (source.empty()) throw InputError(r.file(), path, "expected a template file name");
    const std::filesystem::path p(source);
    const std::string resolved =
        p.is_absolute() ? source
                        : (std::filesystem::path(t.scenario_dir) / p).lexically_normal().string();
    const std::string* raw = nullptr;
    try {
      raw = &t.text_of(resolved);
    } catch (const InputError& e) {
      throw InputError(r.file(), path, fmt::format("the template {}: {}", resolved, e.problem()),
                       "template paths are relative to the scenario file's folder");
    }
    std::string text;
    try {
      text = expand_text(*raw, *t.values, r.file(), path);
    } catch (const InputError& e) {
      throw InputError(e.file(), e.json_path(),
                       fmt::format("{} (in the template {})", e.problem(), resolved), e.hint());
    }
    out.push_back({destination, resolved, std::move(text)});
  }
  return out;
}

}  // namespace

RoleSpec parse_role(ObjectReader r, const std::string& name, const TemplateContext& templates) {
  RoleSpec role;
  role.name = name;
  role.command = read_command(r);
  role.env = read_env(r);
  role.cwd = read_cwd(r, templates.scenario_dir);
  role.ready = parse_ready(r);
  role.stop_grace_s = r.opt_number("stop_grace_s", 0, 600).value_or(5);
  role.files = parse_files(r, templates);
  if (name != "sut") role.gate = r.opt_bool("gate").value_or(false);
  r.reject_unknown_keys();
  return role;
}

WatchSpec parse_watch(std::optional<ObjectReader> r) {
  WatchSpec watch;
  if (!r) return watch;
  watch.interval_ms = static_cast<int>(r->opt_int("interval_ms", 1, 60'000).value_or(50));
  if (r->opt_enum("memory", {"rss", "pss"}).value_or("rss") == "pss") {
    watch.memory = MemoryKind::pss;
  }
  watch.exact_peak = r->opt_bool("exact_peak").value_or(true);
  r->reject_unknown_keys();
  return watch;
}

}  // namespace memgate::scenario_parts
