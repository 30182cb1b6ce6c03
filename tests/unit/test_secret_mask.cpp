// Secrets are masked in every form an output can hold them in, and masking never breaks the
// structure of what is written (a JSON document stays valid JSON whatever the secret).

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/model/secret_mask.hpp"
#include "core/model/text_file.hpp"
#include "core/report/markdown_cell.hpp"
#include "core/report/xml_writer.hpp"
#include "support/temp_dir.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

// Registers secrets for one test and forgets them after it.
struct Secrets {
  explicit Secrets(std::initializer_list<std::pair<const char*, std::string>> values) {
    secrets::clear();
    for (const auto& [name, value] : values) secrets::add(name, value);
  }
  ~Secrets() { secrets::clear(); }
};

}  // namespace

TEST_CASE("secret mask: nothing registered, nothing changes") {
  secrets::clear();
  CHECK_FALSE(secrets::any());
  CHECK(secrets::mask("Bearer abc") == "Bearer abc");
  CHECK(secrets::mask_json(R"({"a": "b"})") == R"({"a": "b"})");
  CHECK(secrets::longest_form_bytes() == 0);
}

TEST_CASE("secret mask: a value shorter than the minimum is not registered") {
  const Secrets s({{"SHORT", "1234567"}});
  CHECK_FALSE(secrets::any());
  CHECK(secrets::mask("1234567") == "1234567");
}

TEST_CASE("secret mask: every form of a secret in plain text") {
  const std::string token = "tok/en<&>\"'-" + std::string(8, 'x');
  const Secrets s({{"API_TOKEN", token}});
  REQUIRE(secrets::any());
  CHECK(secrets::mask("Authorization: Bearer " + token + ".") ==
        "Authorization: Bearer {env:API_TOKEN}.");
  // As JSON escapes it, with and without "\/", as XML does, as a URL carries it.
  const std::string json_form = json(token).dump().substr(1, json(token).dump().size() - 2);
  CHECK(secrets::mask("got " + json_form) == "got {env:API_TOKEN}");
  CHECK(secrets::mask(R"(tok\/en<&>\"'-xxxxxxxx)") == "{env:API_TOKEN}");
  CHECK(secrets::mask("tok/en&lt;&amp;&gt;&quot;&apos;-xxxxxxxx") == "{env:API_TOKEN}");
  CHECK(secrets::mask("?t=tok%2Fen%3C%26%3E%22%27-xxxxxxxx") == "?t={env:API_TOKEN}");
  CHECK(secrets::mask(token + token) == "{env:API_TOKEN}{env:API_TOKEN}");
  CHECK(secrets::longest_form_bytes() >= token.size());
}

TEST_CASE("secret mask: a JSON document stays valid JSON whatever the secret looks like") {
  // Secrets that collide with JSON's own syntax: quotes, backslashes, escape letters, digits.
  for (const std::string& secret :
       {std::string("ab\\\"cd\\efgh"), std::string("nabcdefgh"), std::string("12345678"),
        std::string("\": \"xxxxx"), std::string("u00e9abcdef")}) {
    INFO(secret);
    const Secrets s({{"S", secret}});
    const json doc = {{"quoted", "before " + secret + " after"},
                      {"line", "\n" + secret + "\t"},
                      {"figure", 12345678},
                      {secret, "as a key"},
                      {"list", {secret, "plain"}}};
    const std::string masked = secrets::mask_json(doc.dump(1));
    const json back = json::parse(masked);  // throws if the structure broke
    CHECK(back["quoted"] == "before {env:S} after");
    CHECK(back["line"] == "\n{env:S}\t");
    CHECK(back["figure"] == 12345678);  // a number is not text: left alone
    CHECK(back.contains("{env:S}"));
    CHECK(back["list"][0] == "{env:S}");
    json strings = back;
    strings.erase("figure");
    const std::string escaped = json(secret).dump();
    CHECK(strings.dump().find(escaped.substr(1, escaped.size() - 2)) == std::string::npos);
  }
}

TEST_CASE("secret mask: a document without the secret is written byte for byte") {
  const Secrets s({{"S", "secret-value-1"}});
  const std::string text = "{\"a\": \"\\u00e9\\n\", \"b\": [1, 2.5e3]}";
  CHECK(secrets::mask_json(text) == text);
}

TEST_CASE("secret mask: markup and Markdown mask before escaping") {
  const Secrets s({{"T", "a<b>&c_d*e"}});
  CHECK(xml_escape("x a<b>&c_d*e y") == "x {env:T} y");
  CHECK(markdown_cell("x a<b>&c_d*e y") == "x {env:T} y");
  std::string out;
  XmlWriter(out).start("p").attr("title", "a<b>&c_d*e").text("a<b>&c_d*e").end();
  CHECK(out == "<p title=\"{env:T}\">{env:T}</p>");
}

TEST_CASE("secret mask: files memgate writes are masked, a process's input is not") {
  const Secrets s({{"T", "s3cret-t0ken"}});
  test::TempDir dir;
  write_file_atomic(dir.file("report.json"), R"({"log": "Bearer s3cret-t0ken"})");
  CHECK(read_text_file(dir.file("report.json")) == R"({"log": "Bearer {env:T}"})");
  write_file_atomic(dir.file("summary.md"), "| Bearer s3cret-t0ken |");
  CHECK(read_text_file(dir.file("summary.md")) == "| Bearer {env:T} |");
  write_file_atomic(dir.file("app.conf"), "token s3cret-t0ken\n", Masking::none);
  CHECK(read_text_file(dir.file("app.conf")) == "token s3cret-t0ken\n");
  append_line(dir.file("history.jsonl"), R"({"note": "s3cret-t0ken"})");
  CHECK(read_text_file(dir.file("history.jsonl")) == "{\"note\": \"{env:T}\"}\n");
}
