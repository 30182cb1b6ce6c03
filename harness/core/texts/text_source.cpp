#include "core/texts/text_source.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "core/model/errors.hpp"

namespace memgate {

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  while (i < text.size()) {
    const unsigned char c = byte(i);
    std::size_t extra;
    std::uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      code = (code << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::vector<std::string> parse_texts(std::string_view content, const std::string& file) {
  std::vector<std::string> texts;
  std::size_t line_number = 0;
  while (!content.empty()) {
    const auto eol = content.find('\n');
    std::string_view line = content.substr(0, eol);
    content = eol == std::string_view::npos ? std::string_view{} : content.substr(eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!is_valid_utf8(line)) {
      throw InputError(file, "", fmt::format("line {} is not valid UTF-8", line_number),
                       "texts go into JSON bodies, which must be UTF-8: convert the file with iconv");
    }
    texts.emplace_back(line);
  }
  if (texts.empty()) {
    throw InputError(file, "", "the texts file holds no text (one text per line)");
  }
  return texts;
}

namespace {
constexpr int kVocabulary = 5000;

// The length of word w of the vocabulary (generate_texts' word()).
std::size_t word_length(std::uint64_t w) {
  return 2 + static_cast<std::size_t>(std::log2(static_cast<double>(w) + 2));
}
}  // namespace

std::int64_t generated_text_max_bytes(const TextGenerateSource& spec) {
  const auto longest_word = static_cast<std::int64_t>(word_length(kVocabulary - 1));
  return static_cast<std::int64_t>(spec.max_words) * (longest_word + 1);  // a space after each
}

std::int64_t generated_corpus_max_bytes(const TextGenerateSource& spec) {
  return spec.count *
         (generated_text_max_bytes(spec) + static_cast<std::int64_t>(sizeof(std::string)));
}

std::vector<std::string> generate_texts(const TextGenerateSource& spec) {
  static constexpr char kLetters[] = "etaoinshrdlcumwfgypbvkjxqz";
  std::mt19937_64 rng(spec.seed);
  const auto below = [&](std::uint64_t n) { return rng() % n; };
  // Word w: a pronounceable-ish string, longer for rarer words.
  const auto word = [&](std::uint64_t w) {
    std::string out;
    std::uint64_t x = w * 2654435761u + 1;
    const std::size_t length = word_length(w);
    for (std::size_t k = 0; k < length; ++k) {
      out += kLetters[x % 26];
      x = x / 26 + (x % 7) * 977 + k;
    }
    return out;
  };
  std::vector<std::string> texts;
  texts.reserve(static_cast<std::size_t>(spec.count));
  const auto span = static_cast<std::uint64_t>(spec.max_words - spec.min_words + 1);
  for (std::int64_t t = 0; t < spec.count; ++t) {
    const auto words = static_cast<std::uint64_t>(spec.min_words) + below(span);
    std::string text;
    for (std::uint64_t k = 0; k < words; ++k) {
      // Skewed draw: u^3 favours small indices (frequent words), as Zipf's law does.
      const double u = static_cast<double>(below(1'000'000)) / 1e6;
      const auto w = static_cast<std::uint64_t>(u * u * u * kVocabulary);
      if (k > 0) text += ' ';
      text += word(w);
    }
    texts.push_back(std::move(text));
  }
  return texts;
}

}  // namespace memgate
