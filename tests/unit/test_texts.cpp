// Text sources: files keep every byte of a line; generation is seeded and reproducible.

#include <catch2/catch.hpp>

#include <set>

#include "core/model/errors.hpp"
#include "core/texts/text_source.hpp"

using namespace memgate;

TEST_CASE("texts from a file: one per line, bytes kept, CRLF and blank lines handled") {
  const auto texts = parse_texts("first \"quoted\" \\back\\slash\r\n\n  ünïcødé 日本語 🎉\nlast", "t.txt");
  REQUIRE(texts.size() == 3);
  CHECK(texts[0] == "first \"quoted\" \\back\\slash");
  CHECK(texts[1] == "  ünïcødé 日本語 🎉");
  CHECK(texts[2] == "last");
}

TEST_CASE("texts from a file: empty files and bad UTF-8 are exit 2 naming the file") {
  CHECK_THROWS_WITH(parse_texts("", "empty.txt"), Catch::Contains("empty.txt") &&
                                                      Catch::Contains("holds no text"));
  CHECK_THROWS_WITH(parse_texts("\n\r\n\n", "blank.txt"), Catch::Contains("holds no text"));
  try {
    parse_texts("good\nbad \xff here\n", "latin1.txt");
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(e.code() == ExitCode::bad_input);
    CHECK_THAT(e.what(), Catch::Contains("latin1.txt") && Catch::Contains("line 2"));
  }
}

TEST_CASE("UTF-8 validation") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x8e\x89"));  // é 日 🎉
  CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\x80"));              // stray continuation
}

TEST_CASE("generated texts: counts, word ranges, reproducible by seed") {
  TextGenerateSource spec;
  spec.count = 500;
  spec.min_words = 3;
  spec.max_words = 9;
  spec.seed = 42;
  const auto a = generate_texts(spec);
  const auto b = generate_texts(spec);
  CHECK(a == b);
  REQUIRE(a.size() == 500);
  std::set<std::string> vocabulary;
  for (const auto& text : a) {
    std::size_t words = 1;
    for (char c : text) words += c == ' ';
    CHECK(words >= 3);
    CHECK(words <= 9);
    CHECK(is_valid_utf8(text));
    std::size_t start = 0;
    for (std::size_t space; (space = text.find(' ', start)) != std::string::npos; start = space + 1) {
      vocabulary.insert(text.substr(start, space - start));
    }
  }
  CHECK(vocabulary.size() > 100);  // varied, yet with repeats (skewed frequencies)
  spec.seed = 43;
  CHECK(generate_texts(spec) != a);
}
