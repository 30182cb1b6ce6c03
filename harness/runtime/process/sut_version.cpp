#include "runtime/process/sut_version.hpp"

#include "runtime/process/sut_process.hpp"

namespace memgate {

std::string read_sut_version(const SutSpec& sut) {
  try {
    LaunchSpec spec;
    spec.argv = {sut.command.front(), "--version"};
    spec.env = sut.env;
    spec.cwd = sut.cwd;
    SutProcess probe(spec);
    const auto exit = probe.wait_exit(5000);
    probe.stop(0);
    if (!exit || !exit->exited_normally() || exit->exit_code() != 0) return "";
    for (const auto& line : probe.log_tail()) {
      if (!line.empty()) return line.substr(0, 200);
    }
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace memgate
