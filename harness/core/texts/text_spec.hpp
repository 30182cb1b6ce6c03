#pragma once

// Where a load's texts come from (text batches, and the jobs of a Redis work queue).

#include <cstdint>
#include <string>
#include <variant>

namespace memgate {

struct TextFileSource {
  std::string path;  // resolved against the scenario file's folder
};
struct TextGenerateSource {
  std::int64_t count = 1000;
  int min_words = 1;
  int max_words = 32;
  std::uint64_t seed = 1;
};

using TextsSpec = std::variant<TextFileSource, TextGenerateSource>;

}  // namespace memgate
