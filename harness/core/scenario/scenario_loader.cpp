#include "core/scenario/scenario_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>

#include "core/metrics/metric_table.hpp"
#include "core/model/errors.hpp"
#include "core/model/limits.hpp"
#include "core/model/text_file.hpp"
#include "core/project/project.hpp"
#include "core/scenario/placeholders.hpp"
#include "core/scenario/scenario_parts.hpp"

namespace memgate {

using nlohmann::json;
using namespace scenario_parts;

namespace {

// Validation expands every port to the shortest and to the longest port text: valid with both,
// the scenario is valid with the ports of any run ("{port}0" or a 99-letter "x{port}" name pass
// with 1 but no run could use them).
constexpr int kValidationPort = 1;
constexpr int kLongestPort = 65535;
// {run_dir} while validating (a run's folder is only known when it runs).
constexpr const char* kValidationRunDir = "/memgate-run-dir";

std::string folder_of(const std::string& file) {
  if (file.empty()) return ".";
  const auto parent = std::filesystem::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

// {scenario_dir}: absolute, so that it means the same whatever a process's cwd.
std::string absolute_folder_of(const std::string& file) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(folder_of(file), ec);
  return ec ? folder_of(file) : absolute.lexically_normal().string();
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
      r.fail("load_timeout_s",
             "load_timeout_s bounds a load_ops load; load_s already ends the load");
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

// The services' names in start order: the file's order where known, then the rest by name.
std::vector<std::string> service_order(const json& source, const KeyOrder* key_order) {
  std::vector<std::string> order;
  const auto services = source.find("services");
  if (services == source.end() || !services->is_object()) return order;
  if (key_order) {
    if (const auto known = key_order->find("/services"); known != key_order->end()) {
      for (const auto& name : known->second) {
        if (services->contains(name)) order.push_back(name);
      }
    }
  }
  for (const auto& item : services->items()) {
    if (std::find(order.begin(), order.end(), item.key()) == order.end()) {
      order.push_back(item.key());
    }
  }
  return order;
}

// The JSON pointer of the first string of node that contains text ("" when none does).
std::string first_path_with(const json& node, const std::string& text, const std::string& path) {
  if (node.is_string()) {
    return node.get<std::string>().find(text) != std::string::npos ? path : "";
  }
  if (!node.is_structured()) return "";
  for (const auto& [key, child] : node.items()) {
    const std::string found = first_path_with(child, text, json_pointer_child(path, key));
    if (!found.empty()) return found;
  }
  return "";
}

// Every {port:NAME} names a service, the SUT ("sut", {port}) or a port the scenario declares in
// "ports"; anything else is a typo ({port:rdis}), refused at the first place that holds it. Then
// a declared port that nothing uses is refused too.
void check_port_names(const Scenario& s) {
  std::map<std::string, int> uses;
  count_port_uses(s.source, uses);
  for (const auto& [path, text] : s.template_texts) count_port_uses_in_text(text, uses);
  std::vector<std::string> known = s.ports;
  for (const auto& service : s.services) known.push_back(service.name);
  for (const auto& [name, count] : uses) {
    if (name == "sut" || std::count(known.begin(), known.end(), name) > 0) continue;
    const std::string placeholder = fmt::format("{{port:{}}}", name);
    std::string where = first_path_with(s.source, placeholder, "");
    for (const RoleSpec* role : s.roles()) {
      for (const FileTemplate& file : role->files) {
        const auto text = s.template_texts.find(file.template_path);
        if (!where.empty() || text == s.template_texts.end() ||
            text->second.find(placeholder) == std::string::npos) {
          continue;
        }
        where = json_pointer_child(
            (role->name == "sut" ? "/sut" : "/services/" + role->name) + "/files",
            file.destination);
      }
    }
    const auto guess = closest_word(name, known);
    throw InputError(s.file, where,
                     fmt::format("{} names no service and no port of \"ports\"", placeholder),
                     guess ? fmt::format("did you mean {{port:{}}}?", *guess)
                           : fmt::format("a port of the SUT's own (a metrics endpoint, say) is "
                                         "declared: \"ports\": [\"{}\"]",
                                         name));
  }
  for (std::size_t i = 0; i < s.ports.size(); ++i) {
    if (uses.count(s.ports[i]) == 0) {
      throw InputError(
          s.file, fmt::format("/ports/{}", i),
          fmt::format("'{}' is declared, but no {{port:{}}} uses it", s.ports[i], s.ports[i]),
          "remove it, or use {port:NAME} where the port goes");
    }
  }
}

// "ports": the names of ports that are no service's, each a valid name once.
std::vector<std::string> parse_ports(ObjectReader& r, const std::vector<std::string>& services) {
  std::vector<std::string> ports =
      r.opt_string_array("ports", 1, 64).value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string& name = ports[i];
    const std::string at = fmt::format("/ports/{}", i);
    if (!is_service_name(name) || name == "sut") {
      throw InputError(r.file(), at, fmt::format("'{}' is not a port name", name.substr(0, 100)),
                       "a lowercase letter, then up to 31 lowercase letters, digits, '_' or '-' "
                       "('sut' is the SUT's own {port})");
    }
    if (std::count(services.begin(), services.end(), name) > 0) {
      throw InputError(r.file(), at,
                       fmt::format("'{}' is a service: it has its port already", name),
                       "remove it from ports");
    }
    if (std::count(ports.begin(), ports.begin() + static_cast<std::ptrdiff_t>(i), name) > 0) {
      throw InputError(r.file(), at, fmt::format("'{}' is declared twice", name));
    }
  }
  return ports;
}

// `files` destinations: each written once, into its own place, never over memgate's own files
// (the run folder's marker, the processes' logs).
void check_destinations(const Scenario& s) {
  std::map<std::string, std::string> taken;  // destination -> the role that writes it
  for (const RoleSpec* role : s.roles()) {
    taken[role->name + ".log"] = "memgate (" + role->name + "'s log)";
  }
  taken[kRunDirMarker] = "memgate (the run folder's marker)";
  for (const RoleSpec* role : s.roles()) {
    const std::string base = role->name == "sut" ? "/sut" : "/services/" + role->name;
    for (const FileTemplate& file : role->files) {
      const std::string path = json_pointer_child(base + "/files", file.destination);
      for (const auto& [other, owner] : taken) {
        const bool clash = other == file.destination ||
                           other.rfind(file.destination + "/", 0) == 0 ||
                           file.destination.rfind(other + "/", 0) == 0;
        if (clash) {
          throw InputError(s.file, path,
                           fmt::format("'{}' is also written by {}", file.destination, owner),
                           "give each file its own name in the run folder");
        }
      }
      taken[file.destination] = role->name == "sut" ? "the SUT's files" : role->name + "'s files";
    }
  }
}

// Only a stdin text-batch SUT reads its stdin from memgate: a {"stdin": true} probe elsewhere
// would wait for nothing.
void check_stdin_probes(const Scenario& s, bool sut_reads_texts) {
  const auto check = [&](const RoleSpec& role, const std::string& path) {
    for (std::size_t i = 0; i < role.ready.size(); ++i) {
      if (!std::holds_alternative<ReadyStdin>(role.ready[i].how)) continue;
      if (&role == &s.sut && sut_reads_texts) continue;
      throw InputError(s.file, role.ready.size() > 1 ? path + "/" + std::to_string(i) : path,
                       "only the SUT of a stdin text-batch reads its stdin from memgate",
                       R"(use {"tcp": ...}, {"log": ...} or {"delay_ms": ...})");
    }
  };
  check(s.sut, "/sut/ready");
  for (const auto& service : s.services) {
    check(service, json_pointer_child("/services/" + service.name, "ready"));
  }
}

// A load command's {ops} is the load phase's operation count: it needs phases.load_ops.
void check_load_command(const Scenario& s) {
  const auto* load = std::get_if<LoadCommandDriverSpec>(&s.driver);
  if (!load || s.phases.load_ops) return;
  for (std::size_t i = 0; i < load->command.size(); ++i) {
    if (load->command[i].find("{ops}") == std::string::npos) continue;
    throw InputError(s.file, "/driver/command/" + std::to_string(i),
                     "{ops} is phases.load_ops, which this scenario does not set",
                     "set phases.load_ops (the command's work) instead of load_s, or use "
                     "{load_s}");
  }
}

// e with the value it quotes as the file has it: a check of the expanded scenario would say
// "got 'redis-server --port 1'" for what the file writes "redis-server --port {port:redis}".
// Only a quoted value is replaced ('...' or a JSON string): a bare "1" may be any number.
InputError in_file_terms(const InputError& e, const json& source, const PlaceholderValues& values) {
  try {
    const json::json_pointer at(e.json_path());
    if (!source.contains(at) || !source.at(at).is_string()) return e;
    const std::string& raw = source.at(at).get_ref<const std::string&>();
    const std::string expanded = expand_text(raw, values, e.file(), e.json_path());
    std::string problem = e.problem();
    if (expanded == raw || expanded.empty()) return e;
    for (const auto& [from, to] : {std::pair{json(expanded).dump(), json(raw).dump()},
                                   std::pair{"'" + expanded + "'", "'" + raw + "'"}}) {
      for (auto at_text = problem.find(from); at_text != std::string::npos;
           at_text = problem.find(from, at_text + to.size())) {
        problem.replace(at_text, from.size(), to);
      }
    }
    return InputError(e.file(), e.json_path(), problem, e.hint());
  } catch (const std::exception&) {
    return e;  // not a pointer into the file, or a value that does not expand: as it was
  }
}

Scenario parse_expanded_values(Scenario shell, const PlaceholderValues& values,
                               const std::set<std::string>& port_names);

// Parses the scenario with placeholders replaced by `values`. `shell` carries what does not come
// from the JSON (file, source, context, service order, template texts); templates it lacks are
// read here into it. Errors quote values as the file writes them (in_file_terms).
Scenario parse_expanded(Scenario shell, const PlaceholderValues& values,
                        const std::set<std::string>& port_names) {
  const json source = shell.source;
  try {
    return parse_expanded_values(std::move(shell), values, port_names);
  } catch (const InputError& e) {
    throw in_file_terms(e, source, values);
  }
}

Scenario parse_expanded_values(Scenario shell, const PlaceholderValues& values,
                               const std::set<std::string>& port_names) {
  const json expanded = expand_placeholders(shell.source, values, shell.file);
  Scenario s = std::move(shell);
  ObjectReader r(expanded, "", s.file);
  r.opt_string("$schema");  // editors' hint; allowed, not used
  s.name = r.get_string("name");
  if (!std::regex_match(s.name, name_pattern())) {
    r.fail("name", fmt::format("'{}' is not a valid name", s.name.substr(0, 100)),
           "use letters, digits, '.', '_' and '-' (up to 100): it names the baseline and report "
           "files");
  }
  s.description = r.opt_string("description").value_or("");
  const std::string scenario_dir = folder_of(s.file);
  TemplateContext templates{
      scenario_dir, &values, [&s](const std::string& path) -> const std::string& {
        auto it = s.template_texts.find(path);
        if (it == s.template_texts.end()) {
          it = s.template_texts.emplace(path, read_input_file(path, kMaxTemplateFileBytes)).first;
        }
        return it->second;
      }};

  DriverParseContext driver_context{scenario_dir, s.context.allow_remote, {}, {}};
  s.services.clear();
  if (auto services = r.opt_object("services")) {
    for (const auto& name : s.service_order) {
      if (!is_service_name(name) || name == "sut") {
        services->fail(name, fmt::format("'{}' is not a valid service name", name.substr(0, 100)),
                       "use a lowercase letter, then up to 31 lowercase letters, digits, '_' or "
                       "'-' (it names {port:NAME}); 'sut' is the SUT's");
      }
      s.services.push_back(parse_role(services->get_object(name), name, templates));
      driver_context.service_names.push_back(name);
      if (port_names.count(name) > 0) {
        const auto port = values.ports.find(name);
        driver_context.service_ports[name] =
            port != values.ports.end() ? port->second : values.any_port.value_or(0);
      }
    }
  }
  s.ports = parse_ports(r, driver_context.service_names);

  ObjectReader driver = r.get_object("driver");
  const std::string type = driver.get_enum("type", driver_kind_names());
  s.driver = find_driver_kind(type)->parse(driver, driver_context);
  driver.reject_unknown_keys();
  const DriverTraits traits = driver_traits(s.driver);
  s.sut = parse_role(r.get_object("sut"), "sut", templates);
  check_destinations(s);
  if (!traits.has_operations && !s.sut.ready.empty()) {
    throw InputError(s.file, "/sut/ready",
                     "a command scenario has no readiness probe: its whole life is the load",
                     "remove sut.ready");
  }
  check_stdin_probes(s, traits.stdin_channel);
  if (traits.stdin_channel && s.sut.ready.empty()) s.sut.ready.push_back({ReadyStdin{}, 10, true});
  s.watch = parse_watch(r.opt_object("watch"));
  s.phases = parse_phases(r.get_object("phases"), !traits.has_operations);
  check_load_command(s);
  s.repeat = static_cast<int>(r.opt_int("repeat", 1, 100).value_or(1));
  const bool sweep = r.opt_raw("sweep") != nullptr;  // parse_sweep reads it
  s.max_errors = r.opt_int("max_errors", 0, 1'000'000'000'000).value_or(0);
  GateContext gate{traits, s.phases.cooldown_s, {}, {}, sweep, s.phases.warmup_s};
  for (const auto& service : s.services) {
    if (service.gate) gate.gated_services.push_back(service.name);
    gate.services.push_back(service.name);
  }
  s.gate = parse_gate(r.opt_object("gate"), gate);
  r.reject_unknown_keys();
  check_port_names(s);
  return s;
}

// The sweep's key and values, and the scenario at each value parsed in full: a value the key
// cannot take is exit 2 at /sweep/values/I, naming what it broke.
std::optional<SweepSpec> parse_sweep(const json& source, const std::string& file,
                                     const LoadOptions& options, const KeyOrder* key_order) {
  const auto found = source.find("sweep");
  if (found == source.end()) return std::nullopt;
  ObjectReader r(*found, "/sweep", file);
  SweepSpec sweep;
  sweep.key = r.get_string("key");
  const nlohmann::json* values = r.opt_raw("values");
  if (!values) r.fail("values", "required key 'values' is missing (an array of numbers)");
  if (!values->is_array() || values->size() < 2 || values->size() > kMaxSweepValues) {
    r.fail("values", fmt::format("expected an array of 2 to {} numbers", kMaxSweepValues));
  }
  for (std::size_t i = 0; i < values->size(); ++i) {
    const json& v = (*values)[i];
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      throw InputError(file, fmt::format("/sweep/values/{}", i),
                       fmt::format("expected a number, got {}", v.dump()));
    }
    sweep.values.push_back(v.get<double>());
  }
  r.reject_unknown_keys();
  if (std::set<double>(sweep.values.begin(), sweep.values.end()).size() != sweep.values.size()) {
    r.fail("values", "a value is given twice", "sweep distinct values: [2000, 4000, 8000]");
  }
  // The key: a number the scenario sets, outside the sweep, the gate and the repetitions.
  Override where;
  try {
    where = parse_override(sweep.key + "=0");
  } catch (const UsageError&) {
    r.fail("key", fmt::format("'{}' is not a key path", sweep.key),
           "a dotted path such as phases.load_ops, or a JSON pointer such as /driver/producers");
  }
  const std::string pointer = where.json_path();
  const auto under = [&](const char* top) {
    return pointer == top || pointer.rfind(std::string(top) + "/", 0) == 0;
  };
  const json::json_pointer ptr(pointer);
  if (under("/sweep") || under("/gate") || under("/repeat") || !source.contains(ptr) ||
      !source.at(ptr).is_number()) {
    r.fail("key",
           fmt::format("'{}' is not a number the scenario sets{}", sweep.key,
                       source.contains(ptr) ? fmt::format(" (it holds {})", source.at(ptr).dump())
                                            : std::string(" (no such key)")),
           "sweep a numeric key of the scenario outside gate and repeat, e.g. phases.load_ops");
  }
  LoadOptions plain = options;
  plain.overrides.clear();  // already applied to source
  for (std::size_t i = 0; i < sweep.values.size(); ++i) {
    json variant = source;
    variant.erase("sweep");
    // The per-unit rules belong to the sweep, not to the runs at one value.
    if (variant.contains("gate") && variant["gate"].is_object()) {
      for (const auto& name : per_unit_metric_names())
        variant["gate"].erase(per_unit_metric_name(name));
    }
    const double v = sweep.values[i];
    const json value =
        std::floor(v) == v && std::fabs(v) < 9e15 ? json(static_cast<std::int64_t>(v)) : json(v);
    variant[ptr] = value;
    try {
      sweep.variants.push_back(
          std::make_shared<const Scenario>(parse_scenario(variant, file, plain, key_order)));
    } catch (const InputError& e) {
      throw InputError(
          file, fmt::format("/sweep/values/{}", i),
          fmt::format("{} = {}: {}: {}", sweep.key, value.dump(), e.json_path(), e.problem()),
          e.hint());
    }
  }
  return sweep;
}

// node without its "$comment" notes, at any depth: a note never makes a baseline stale.
json without_comments(const json& node) {
  if (node.is_array()) {
    json out = json::array();
    for (const auto& item : node) out.push_back(without_comments(item));
    return out;
  }
  if (!node.is_object()) return node;
  json out = json::object();
  for (const auto& [key, value] : node.items()) {
    if (key != kCommentKey) out[key] = without_comments(value);
  }
  return out;
}

PlaceholderValues validation_values(const Scenario& shell, int port) {
  PlaceholderValues values;
  values.any_port = port;
  values.bindir = shell.context.bindir;
  values.scenario_dir = absolute_folder_of(shell.file);
  values.run_dir = kValidationRunDir;
  return values;
}

}  // namespace

std::vector<const RoleSpec*> Scenario::roles() const {
  std::vector<const RoleSpec*> out{&sut};
  for (const auto& service : services) out.push_back(&service);
  return out;
}

const RoleSpec* Scenario::role(const std::string& role_name) const {
  if (role_name == "sut") return &sut;
  for (const auto& service : services) {
    if (service.name == role_name) return &service;
  }
  return nullptr;
}

std::set<std::string> scenario_port_names(const Scenario& scenario) {
  std::set<std::string> names = port_names(scenario.source);
  for (const auto& [path, text] : scenario.template_texts) {
    for (const auto& name : port_names_in_text(text)) names.insert(name);
  }
  return names;
}

Scenario parse_scenario(json source, const std::string& file, const LoadOptions& options,
                        const KeyOrder* key_order) {
  const std::vector<std::string> from_defaults = apply_project_defaults(source, options.defaults);
  apply_overrides(source, options.overrides);
  Scenario shell;
  shell.file = file;
  shell.context = options.context;
  shell.source = std::move(source);
  try {
    if (!shell.source.is_object()) {
      throw InputError(file, "",
                       fmt::format("expected an object, got {}", shell.source.type_name()));
    }
    shell.service_order = service_order(shell.source, key_order);
    // The first pass reads the templates (every service counts as having a port: a template may
    // be where one uses it); the second checks the port names of the strings and templates.
    auto first_names = port_names(shell.source);
    for (const auto& name : shell.service_order) first_names.insert(name);
    Scenario scenario =
        parse_expanded(shell, validation_values(shell, kValidationPort), first_names);
    const auto names = scenario_port_names(scenario);
    scenario = parse_expanded(scenario, validation_values(scenario, kValidationPort), names);
    scenario.sweep = parse_sweep(scenario.source, file, options, key_order);
    if (!names.empty()) {
      try {
        parse_expanded(scenario, validation_values(scenario, kLongestPort), names);
      } catch (const InputError& e) {
        throw InputError(e.file(), e.json_path(),
                         fmt::format("{} (with every port = {}: it must be valid for any port)",
                                     e.problem(), kLongestPort),
                         e.hint());
      }
    }
    return scenario;
  } catch (const InputError& e) {
    const auto under = [&](const std::string& path) {
      return e.json_path() == path || e.json_path().rfind(path + "/", 0) == 0;
    };
    // Name the --set (or --sweep, --a-env...) that put a bad value or an unknown key in place.
    for (const auto& o : options.overrides) {
      if (under(o.json_path())) {
        throw InputError(e.file(), e.json_path(),
                         fmt::format("{} (set by {})", e.problem(), o.text), e.hint());
      }
    }
    // Or the project's defaults.
    for (const auto& path : from_defaults) {
      if (under(path)) {
        throw InputError(
            e.file(), e.json_path(),
            fmt::format("{} (from the defaults of {})", e.problem(), options.defaults_file),
            e.hint().empty() ? "give this scenario its own " + path.substr(1, path.find('/', 1) - 1)
                             : e.hint());
      }
    }
    throw;
  }
}

void check_planned_samples(const Scenario& s, int repeat) {
  // Each value of a sweep is a scenario of its own (its phases may be what is swept).
  std::vector<const Scenario*> values{&s};
  if (s.sweep) {
    values.clear();
    for (const auto& variant : s.sweep->variants) values.push_back(variant.get());
  }
  double samples = 0, longest_run_s = 0;
  const double rounds = static_cast<double>(repeat) * (1 + s.gate.max_reruns);
  for (const Scenario* v : values) {
    const PhasesSpec& p = v->phases;
    const double run_s = p.idle_s + p.warmup_s + p.load_s.value_or(p.load_timeout_s) + p.cooldown_s;
    longest_run_s = std::max(longest_run_s, run_s);
    samples += rounds * run_s * 1000 / v->watch.interval_ms;
  }
  if (samples <= static_cast<double>(limits::kMaxPlannedSamples)) return;
  throw InputError(
      s.file, s.source.contains("watch") ? "/watch/interval_ms" : "/phases",
      fmt::format("up to {:.0f} runs of up to {:.0f} s sampled every {} ms make {:.3g} memory "
                  "samples, more than the {} memgate holds",
                  rounds * static_cast<double>(values.size()), longest_run_s, s.watch.interval_ms,
                  samples, limits::kMaxPlannedSamples),
      "sample less often (watch.interval_ms), or shorten the phases (load_timeout_s bounds a "
      "load_ops load) or the repetitions");
}

Scenario load_scenario_file(const std::string& path, const LoadOptions& options) {
  const std::string text = read_input_file(path, kMaxScenarioFileBytes);
  KeyOrder key_order;
  json source = parse_json_text(text, path, 64, &key_order);
  Scenario scenario = parse_scenario(std::move(source), path, options, &key_order);
  check_planned_samples(scenario, scenario.repeat);
  return scenario;
}

Scenario instantiate(const Scenario& scenario, const RunPlaceholders& run) {
  PlaceholderValues values;
  values.ports = run.ports;
  values.bindir = scenario.context.bindir;
  values.scenario_dir = absolute_folder_of(scenario.file);
  values.run_dir = run.run_dir;
  return parse_expanded(scenario, values, scenario_port_names(scenario));
}

std::string scenario_hash(const Scenario& scenario) {
  json shaping = json::object();
  for (const char* key :
       {"name", "sut", "services", "watch", "phases", "driver", "max_errors", "sweep"}) {
    if (scenario.source.contains(key)) shaping[key] = without_comments(scenario.source[key]);
  }
  // The templates' texts, sorted (not their paths, which depend on where memgate runs from).
  std::vector<std::string> texts;
  for (const auto& [path, text] : scenario.template_texts) texts.push_back(text);
  std::sort(texts.begin(), texts.end());
  for (auto& text : texts) shaping["templates"].push_back(std::move(text));
  const std::string canonical = shaping.dump();  // object keys are sorted: canonical
  std::uint64_t hash = 0xcbf29ce484222325ULL;    // FNV-1a 64
  for (unsigned char c : canonical) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace memgate
