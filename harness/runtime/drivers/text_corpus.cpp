#include "runtime/drivers/text_corpus.hpp"

#include <nlohmann/json.hpp>

#include "core/model/text_file.hpp"
#include "core/scenario/scenario.hpp"
#include "core/texts/text_source.hpp"

namespace memgate {

void check_texts(const Scenario& scenario) {
  std::optional<TextsSpec> texts;
  if (const auto* text = std::get_if<TextBatchDriverSpec>(&scenario.driver)) texts = text->texts;
  if (const auto* redis = std::get_if<RedisQueueDriverSpec>(&scenario.driver)) texts = redis->job_texts;
  if (texts && std::holds_alternative<TextFileSource>(*texts)) TextCorpus corpus(*texts);
}

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

std::string TextCorpus::json_body(std::uint64_t first, std::size_t count) const {
  std::size_t bytes = 16;
  for (std::size_t k = 0; k < count; ++k) bytes += json_text(first + k).size() + 1;
  std::string body;
  body.reserve(bytes);
  body += "{\"texts\":[";
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) body += ',';
    body += json_text(first + k);
  }
  body += "]}";
  return body;
}

}  // namespace memgate
