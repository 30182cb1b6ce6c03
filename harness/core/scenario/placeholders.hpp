#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace memgate {

// Values of the placeholders a scenario may use in any string:
//   {port}          one free loopback port chosen for the run
//   {bindir}        the folder of the memgate executable (test SUTs are built there)
//   {scenario_dir}  the folder of the scenario file
struct PlaceholderValues {
  int port = 0;
  std::string bindir;
  std::string scenario_dir;
};

// Returns source with every placeholder in every string replaced. A "{name}" of lowercase
// letters and '_' that is not a known placeholder is an InputError naming its JSON path (a typo
// such as "{prot}" must not reach the SUT). "{{" stands for a literal "{" (so "{{x}" is "{x}");
// other braces are left alone.
nlohmann::json expand_placeholders(const nlohmann::json& source, const PlaceholderValues& values,
                                   const std::string& file);

// True when any string of source contains "{port}".
bool uses_port_placeholder(const nlohmann::json& source);

}  // namespace memgate
