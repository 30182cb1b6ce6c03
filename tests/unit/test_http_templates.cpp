// The pieces of "Text services over HTTP" that need no server: body templates, the header and
// response settings, {env:NAME} references, and counting the entries of an answer's array.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/drivers/http_request_parser.hpp"
#include "core/model/env_refs.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_array_count.hpp"
#include "core/procfs/procfs.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

HttpRequestSpec request(const json& value, int batch_size = 4) {
  return parse_http_request(ObjectReader(value, "/driver/request", "s.json"), batch_size);
}

std::string render(const HttpRequestSpec& spec, const std::string& texts) {
  return spec.body_before + texts + spec.body_after;
}

}  // namespace

TEST_CASE("body template: the texts go where \"{texts}\" was, the rest stays JSON") {
  const auto spec = request({{"body", {{"model", "m"}, {"input", "{texts}"}, {"dims", 64}}}});
  const std::string body = render(spec, R"(["a","b \"q\""])");
  CHECK(json::parse(body) == json{{"model", "m"}, {"input", {"a", "b \"q\""}}, {"dims", 64}});
  CHECK_FALSE(spec.one_text);

  const auto nested = request({{"body", {{"a", {{"b", {1, "{texts}"}}}}}}});
  CHECK(json::parse(render(nested, "[\"x\"]")) == json{{"a", {{"b", {1, {"x"}}}}}});

  const auto one = request({{"body", {{"inputs", "{text}"}}}}, 1);
  CHECK(one.one_text);
  CHECK(json::parse(render(one, "\"t\"")) == json{{"inputs", "t"}});

  const auto whole = request({{"body", "{texts}"}});  // the body is the array itself
  CHECK(render(whole, "[\"x\"]") == "[\"x\"]");

  CHECK(json::parse(render(HttpRequestSpec{}, "[\"x\"]")) == json{{"texts", {"x"}}});
}

TEST_CASE("body template: mistakes name the path") {
  CHECK_THROWS_WITH(request({{"body", {{"input", "texts"}}}}),
                    Catch::Contains("/driver/request/body") && Catch::Contains("holds no"));
  CHECK_THROWS_WITH(request({{"body", {{"a", "{texts}"}, {"b", "{text}"}}}}),
                    Catch::Contains("2 texts placeholders (/a, /b)"));
  CHECK_THROWS_WITH(
      request({{"body", {{"input", "say {texts}"}}}}),
      Catch::Contains("/driver/request/body/input") && Catch::Contains("must be a whole string"));
  CHECK_THROWS_WITH(request({{"body", {{"input", "{text}"}}}}, 8),
                    Catch::Contains("batch_size is 8"));
  CHECK_THROWS_WITH(request({{"body", {{"input", "{texts}"}, {"x", "\x01memgate-texts\x01"}}}}),
                    Catch::Contains("marker"));
  CHECK_THROWS_WITH(
      request({{"body", {{"input", "{texts}"}, {"key", "{env:TOKEN}"}}}}),
      Catch::Contains("/driver/request/body/key") && Catch::Contains("headers values only"));
}

TEST_CASE("request headers: defaults, overrides, what memgate owns") {
  auto spec = request({{"headers",
                        {{"authorization", "Bearer {env:TOKEN}"},
                         {"content-type", "application/json; charset=utf-8"}}}});
  REQUIRE(spec.headers.size() == 2);  // the default Content-Type was replaced
  CHECK(spec.headers[0] ==
        std::pair<std::string, std::string>{"authorization", "Bearer {env:TOKEN}"});
  CHECK(spec.headers[1].second == "application/json; charset=utf-8");
  CHECK(spec.method == "POST");
  CHECK(request({{"method", "PUT"}}).method == "PUT");
  CHECK_THROWS_WITH(request({{"method", "GET"}}), Catch::Contains("/driver/request/method"));
  CHECK_THROWS_WITH(request({{"headers", {{"Content-Length", "3"}}}}),
                    Catch::Contains("/driver/request/headers/Content-Length") &&
                        Catch::Contains("sets the 'Content-Length' header itself"));
  CHECK_THROWS_WITH(request({{"headers", {{"X-A", "a\r\nX-Injected: 1"}}}}),
                    Catch::Contains("line breaks"));
  CHECK_THROWS_WITH(request({{"headers", {{"Expect", "100-continue"}}}}),
                    Catch::Contains("sets the 'Expect' header itself"));
  CHECK_THROWS_WITH(request({{"headers", {{"Bad Name", "x"}}}}),
                    Catch::Contains("not an HTTP header name"));
}

TEST_CASE("response: statuses and the count pointer") {
  const auto r = parse_http_response(ObjectReader(
      json{{"status", {200, 201}}, {"count_pointer", "/data"}}, "/driver/response", "s.json"));
  CHECK(r.statuses == std::vector<int>{200, 201});
  CHECK(r.count_pointer == "/data");
  const auto parse = [](const json& v) {
    return parse_http_response(ObjectReader(v, "/driver/response", "s.json"));
  };
  CHECK_THROWS_WITH(parse({{"status", {99}}}), Catch::Contains("/driver/response/status/0"));
  CHECK_THROWS_WITH(parse({{"status", {200, 100}}}), Catch::Contains("/driver/response/status/1"));
  CHECK_THROWS_WITH(parse({{"status", json::array()}}), Catch::Contains("1 to 64"));
  CHECK_THROWS_WITH(parse({{"count_pointer", "data"}}), Catch::Contains("not a JSON pointer"));
  CHECK(parse(json::object()).statuses.empty());  // any 2xx
}

TEST_CASE("{env:NAME}: found, expanded, missing ones reported") {
  CHECK(env_ref_names("Bearer {env:A_1} and {env:b}") == std::vector<std::string>{"A_1", "b"});
  CHECK(env_ref_names("{env:} {env:1A} {env:A-B} {env:A").empty());
  const auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "T") return std::string("s3cret");
    return std::nullopt;
  };
  std::string missing;
  CHECK(expand_env_refs("Bearer {env:T}", lookup, &missing) == "Bearer s3cret");
  CHECK(missing.empty());
  CHECK(expand_env_refs("{env:U}-{env:T}", lookup, &missing) == "{env:U}-s3cret");
  CHECK(missing == "U");
}

TEST_CASE("JsonArrayCounter: entries of the array at a pointer, without building the document") {
  const JsonArrayCounter data("/data");
  CHECK(data.count(R"({"object":"list","data":[{"embedding":[1,2]},{"embedding":[3]}]})").entries ==
        2u);
  CHECK(data.count(R"({"data":[]})").entries == 0u);
  // Only the direct entries count, wherever the key comes and whatever is around it.
  CHECK(data.count(R"({"x":{"data":[1,2,3]},"data":[[1,[2,3]],{"data":[9]},"s",null,true,1.5]})")
            .entries == 6u);
  CHECK(JsonArrayCounter("/embeddings")
            .count(R"({"embeddings":[[0.1,0.2],[0.3,0.4],[0.5,0.6]]})")
            .entries == 3u);
  CHECK(JsonArrayCounter("").count("[[1],[2]]").entries == 2u);
  CHECK(JsonArrayCounter("/a/1/b").count(R"({"a":[{"b":[1]},{"b":[1,2,3,4]}]})").entries == 4u);
  CHECK(JsonArrayCounter("/a~1b").count(R"({"a/b":[1,2]})").entries == 2u);

  const auto no_value = data.count(R"({"vectors":[1]})");
  CHECK_FALSE(no_value.entries);
  CHECK_THAT(no_value.problem, Catch::Contains("no value at '/data'"));
  CHECK_THAT(data.count(R"({"data":{"a":1}})").problem,
             Catch::Contains("is an object, not an array"));
  CHECK_THAT(data.count(R"({"data":[1,2)").problem, Catch::Contains("not JSON"));
  CHECK_THAT(data.count("<html>502 Bad Gateway</html>").problem, Catch::Contains("not JSON"));
}

TEST_CASE("parse_syscall: the call a blocked thread waits in") {
  const auto read = procfs::parse_syscall("0 0x0 0x7f08a7983000 0x20000 0x0 0x0 0x0 0x7ffe 0x7f08");
  REQUIRE(read);
  CHECK(read->number == 0);
  CHECK(read->first_argument == 0);
  const auto other = procfs::parse_syscall("7 0x1f 0x1 0x0");
  REQUIRE(other);
  CHECK(other->first_argument == 31);
  CHECK_FALSE(procfs::parse_syscall("running"));
  CHECK_FALSE(procfs::parse_syscall("-1 0x7ffe 0x7f08"));
  CHECK_FALSE(procfs::parse_syscall(""));
}

TEST_CASE("JsonArrayCounter: JSON only, checked whole, and duplicate keys count as the last one") {
  const JsonArrayCounter data("/data");
  CHECK(data.count(R"({"data":[1,2,3],"data":[1]})").entries == 1u);
  CHECK_FALSE(JsonArrayCounter("/a/b").count(R"({"a":{"b":[1]},"a":{"c":[1]}})").entries);
  CHECK(JsonArrayCounter("/a/b").count(R"({"a":{"b":[1]},"x":{"b":[1,2]}})").entries == 1u);
  CHECK(data.count(R"( {"data" : [ "\ud83c\udf89" , -0.5e-3 , 1E+2 , {} , [] ] } )").entries == 5u);
  const std::vector<std::string> broken = {R"({"data":[1,]})",
                                           R"({"data":[01]})",
                                           R"({"data":[1.]})",
                                           R"({"data":["\x"]})",
                                           R"({"data":["\udc00"]})",
                                           R"({"data":[tru]})",
                                           "{\"data\":[\"a\tb\"]}",
                                           R"({"data":[1]} x)",
                                           R"({"data" [1]})",
                                           "{\"data\":[\"\xff\"]}",
                                           std::string("{\"data\":[1]}\0", 13)};
  for (const auto& text : broken) {
    INFO(text);
    CHECK_THAT(data.count(text).problem, Catch::Contains("not JSON"));
  }
  CHECK(data.count("\xEF\xBB\xBF{\"data\":[1]}").entries == 1u);  // a BOM before the JSON
  CHECK_THAT(data.count(std::string(20'000, '[') + std::string(20'000, ']')).problem,
             Catch::Contains("nests deeper than 10000"));
}
