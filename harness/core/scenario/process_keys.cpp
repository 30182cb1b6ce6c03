#include "core/scenario/process_keys.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/model/errors.hpp"

namespace memgate {

std::vector<std::string> read_command(ObjectReader& r) {
  auto command = r.opt_string_array("command", 1, 4096);
  if (!command) {
    r.fail("command", "required key 'command' is missing (an argv array)",
           R"(for example ["redis-server", "--port", "{port}"])");
  }
  if ((*command)[0].empty()) {
    throw InputError(r.file(), json_pointer_child(r.child_path("command"), "0"),
                     "the program name is empty");
  }
  for (std::size_t i = 0; i < command->size(); ++i) {
    if ((*command)[i].find('\0') != std::string::npos) {
      throw InputError(r.file(), json_pointer_child(r.child_path("command"), std::to_string(i)),
                       "the argument contains a NUL byte", "an argv string cannot hold one");
    }
  }
  return std::move(*command);
}

std::map<std::string, std::string> read_env(ObjectReader& r) {
  auto env = r.opt_string_map("env").value_or(std::map<std::string, std::string>{});
  for (const auto& [key, value] : env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      throw InputError(r.file(), json_pointer_child(r.child_path("env"), key),
                       fmt::format("'{}' is not a valid environment variable", key),
                       "names are not empty and hold no '=' or NUL; values hold no NUL");
    }
  }
  return env;
}

std::string read_cwd(ObjectReader& r, const std::string& scenario_dir) {
  const std::string cwd = r.opt_string("cwd").value_or(".");
  if (cwd.empty()) r.fail("cwd", "expected a folder, got an empty string");
  auto resolved = std::filesystem::path(cwd).is_absolute()
                      ? std::filesystem::path(cwd)
                      : (std::filesystem::path(scenario_dir) / cwd).lexically_normal();
  return resolved.has_filename() ? resolved.string() : resolved.parent_path().string();
}

}  // namespace memgate
