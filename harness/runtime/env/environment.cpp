#include "runtime/env/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <thread>

#include "core/model/text_file.hpp"
#include "core/procfs/procfs.hpp"

#ifndef MEMGATE_BUILD_TYPE
#define MEMGATE_BUILD_TYPE "unknown"
#endif

namespace memgate {

namespace {


std::string os_name() {
  std::istringstream lines(read_text_file("/etc/os-release"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return "unknown";
}

}  // namespace

nlohmann::json read_environment() {
  utsname uts{};
  ::uname(&uts);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string cpu = procfs::cpuinfo_model(read_text_file("/proc/cpuinfo"));
  return {
      {"cpu_model", cpu.empty() ? std::string(uts.machine) : cpu},
      {"cores", std::thread::hardware_concurrency()},
      {"memory_bytes", procfs::meminfo_total_bytes(read_text_file("/proc/meminfo")).value_or(0)},
      {"kernel", std::string(uts.sysname) + " " + uts.release},
      {"os", os_name()},
      {"arch", uts.machine},
      {"compiler", std::string("g++ ") + __VERSION__},
      {"build_type", MEMGATE_BUILD_TYPE},
      {"memgate_version", MEMGATE_VERSION},
      {"hostname", host},
  };
}

std::vector<std::string> environment_warnings(const nlohmann::json& env) {
  std::vector<std::string> warnings;
  const std::string build = env.value("build_type", "");
  if (build == "Debug" || build.find("san") != std::string::npos) {
    warnings.push_back("memgate was built as '" + build +
                       "': its own overhead differs from a release build");
  }
  if (env.value("cores", 0) < 2) {
    warnings.push_back("fewer than 2 CPU cores: the load generator competes with the SUT");
  }
  return warnings;
}

std::optional<std::string> getenv_value(const std::string& name) {
  if (const char* value = std::getenv(name.c_str())) return std::string(value);
  return std::nullopt;
}

}  // namespace memgate
