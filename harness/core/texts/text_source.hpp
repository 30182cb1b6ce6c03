#pragma once

// The texts a text-batch load sends: from a file (one text per line) or generated (seeded,
// reproducible). Pure: the file's content is passed in.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/scenario/scenario.hpp"

namespace memgate {

// One text per line ("\n" or "\r\n"); every byte of a line is kept. Empty lines are skipped.
// Throws InputError (exit 2) naming `file` when no text is left or a line is not valid UTF-8
// (with its line number): a JSON body can only carry UTF-8.
std::vector<std::string> parse_texts(std::string_view content, const std::string& file);

// `count` texts of min_words..max_words words each, words drawn from a fixed vocabulary with a
// skewed (Zipf-like) frequency, as natural text has. The same spec gives the same texts on every
// machine (own arithmetic over std::mt19937_64, no implementation-defined distributions).
std::vector<std::string> generate_texts(const TextGenerateSource& spec);

// The longest text generate_texts can make for spec, in bytes, and the most memory its whole
// corpus can take (texts and their strings), in bytes: what validation holds against the limits.
std::int64_t generated_text_max_bytes(const TextGenerateSource& spec);
std::int64_t generated_corpus_max_bytes(const TextGenerateSource& spec);

// True when text is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace memgate
