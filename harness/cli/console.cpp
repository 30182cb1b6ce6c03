#include "cli/console.hpp"

#include <string>

#include "core/model/secret_mask.hpp"

namespace memgate::cli {

void write_masked(std::FILE* stream, std::string_view text) {
  const std::string masked = secrets::mask(text);
  std::fwrite(masked.data(), 1, masked.size(), stream);
}

}  // namespace memgate::cli
