#pragma once

// The texts of a text-batch scenario, loaded once before the SUT starts, and the JSON-escaped
// form of each (so that a request body is a concatenation, not a serialization per request).

#include <cstdint>
#include <string>
#include <vector>

#include "core/texts/text_spec.hpp"

namespace memgate {

class TextCorpus {
 public:
  // Reads the file or generates the texts. A missing, unreadable or empty file, or one that is
  // not UTF-8, is an InputError naming it (exit 2).
  explicit TextCorpus(const TextsSpec& spec);

  std::size_t size() const { return texts_.size(); }
  // The corpus is cycled: text i is texts_[i % size()].
  const std::string& text(std::uint64_t i) const { return texts_[i % texts_.size()]; }
  const std::string& json_text(std::uint64_t i) const { return escaped_[i % escaped_.size()]; }

  // The longest JSON-escaped text, in bytes.
  std::size_t longest_json_bytes() const;

  // Appends the JSON array of `count` texts from `first` to out.
  void append_json_array(std::string& out, std::uint64_t first, std::size_t count) const;

 private:
  std::vector<std::string> texts_;
  std::vector<std::string> escaped_;
};

}  // namespace memgate
