#include "runtime/drivers/text_corpus.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/model/text_file.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

namespace {
constexpr std::int64_t kMaxTextFileBytes = 1024LL * 1024 * 1024;
}

TextCorpus::TextCorpus(const TextsSpec& spec) {
  if (const auto* file = std::get_if<TextFileSource>(&spec)) {
    texts_ = parse_texts(read_input_file(file->path, kMaxTextFileBytes), file->path);
  } else {
    texts_ = generate_texts(std::get<TextGenerateSource>(spec));
  }
  escaped_.reserve(texts_.size());
  for (const auto& t : texts_) escaped_.push_back(nlohmann::json(t).dump());
}

void TextCorpus::append_json_array(std::string& out, std::uint64_t first, std::size_t count) const {
  out += '[';
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) out += ',';
    out += json_text(first + k);
  }
  out += ']';
}

std::size_t TextCorpus::longest_json_bytes() const {
  std::size_t longest = 0;
  for (const auto& text : escaped_) longest = std::max(longest, text.size());
  return longest;
}

}  // namespace memgate
