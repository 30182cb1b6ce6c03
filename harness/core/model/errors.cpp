#include "core/model/errors.hpp"

#include <fmt/format.h>

namespace memgate {

namespace {
std::string describe(const std::string& file, const std::string& json_path,
                     const std::string& problem) {
  return fmt::format("{}: {}{}", file.empty() ? std::string("<input>") : file,
                     json_path.empty() ? std::string() : json_path + ": ", problem);
}
}  // namespace

InputError::InputError(std::string file, std::string json_path, const std::string& problem,
                       std::string hint)
    : Error(ExitCode::bad_input, describe(file, json_path, problem), std::move(hint)),
      file_(std::move(file)),
      json_path_(std::move(json_path)),
      problem_(problem) {}

}  // namespace memgate
