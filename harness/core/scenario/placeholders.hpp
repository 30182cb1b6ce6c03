#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace memgate {

// Values of the placeholders a scenario may use in any string (and in `files` templates):
//   {port}          the SUT's free loopback port for the run; the same as {port:sut}
//   {port:NAME}     one free loopback port per NAME per run (a service's, usually)
//   {run_dir}       the run's own folder inside the report folder
//   {bindir}        the folder of the memgate executable (test SUTs are built there)
//   {scenario_dir}  the folder of the scenario file (absolute)
// and {env:NAME}, allowed in driver.request.headers values only and left there as it is: the
// HTTP driver reads the variable when the run starts (core/model/env_refs.hpp); and {ops} and
// {load_s}, allowed in driver.command only and left there: a load-command driver replaces them
// with the phase's figures when its command starts.
struct PlaceholderValues {
  std::map<std::string, int> ports;  // by NAME ("sut" for {port})
  std::optional<int> any_port;       // when set, every NAME gets it (validation)
  std::string bindir;
  std::string scenario_dir;
  std::string run_dir;
};

// Strings memgate leaves as they are: a job template's own placeholders ({job_id}, ...) are
// replaced per job at run time, a request body's "{texts}" per batch, and every other brace in
// them is literal JSON.
bool is_verbatim_path(const std::string& json_path);

// Returns source with every placeholder in every string replaced (but the verbatim paths). A
// "{name}" of lowercase letters and '_' that is not a known placeholder is an InputError naming
// its JSON path (a typo such as "{prot}" must not reach the SUT). "{{" stands for a literal "{"
// (so "{{x}" is "{x}"); other braces are left alone.
nlohmann::json expand_placeholders(const nlohmann::json& source, const PlaceholderValues& values,
                                   const std::string& file);

// The same for one text (a `files` template); errors name file and path.
std::string expand_text(const std::string& text, const PlaceholderValues& values,
                        const std::string& file, const std::string& path);

// The NAMEs of every {port:NAME} (and "sut" for {port}) in the strings of source (but the
// verbatim paths), or in a text.
std::set<std::string> port_names(const nlohmann::json& source);
std::set<std::string> port_names_in_text(const std::string& text);

// How many times each {port:NAME} NAME ("sut" for {port}) is used, added into uses: in the
// strings of source (but the verbatim paths), or in a text.
void count_port_uses(const nlohmann::json& source, std::map<std::string, int>& uses);
void count_port_uses_in_text(const std::string& text, std::map<std::string, int>& uses);

// A service's name: a lowercase letter, then up to 31 lowercase letters, digits, '_' or '-'.
bool is_service_name(const std::string& name);

}  // namespace memgate
