// The load-command parsers on outputs captured from the real tools (tests/data/load_output: wrk
// 4.1 and redis-benchmark 7.0 of Debian bookworm) and on a team script's JSON line.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "core/drivers/load_output.hpp"

using namespace memgate;

namespace {

std::vector<std::string> captured(const std::string& name) {
  std::ifstream in(std::string(MEMGATE_TEST_DATA) + "/load_output/" + name);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

LoadOutput read_ok(LoadParser parser, const std::vector<std::string>& lines,
                   const std::vector<std::string>& argv = {"tool"}) {
  auto out = read_load_output(parser, argv, lines);
  if (const auto* problem = std::get_if<std::string>(&out)) FAIL(*problem);
  return std::get<LoadOutput>(out);
}

std::string read_problem(LoadParser parser, const std::vector<std::string>& lines,
                         const std::vector<std::string>& argv = {"tool"}) {
  auto out = read_load_output(parser, argv, lines);
  REQUIRE(std::holds_alternative<std::string>(out));
  return std::get<std::string>(out);
}

}  // namespace

TEST_CASE("load output: wrk's durations in every unit it prints") {
  struct Case {
    const char* text;
    std::optional<double> ms;
  };
  const Case cases[] = {{"440.00us", 0.44}, {"0.89ms", 0.89},   {"6.37ms", 6.37}, {"2.00s", 2000},
                        {"1.50m", 90000},   {"1.00h", 3600000}, {"-nan%", {}},    {"12", {}},
                        {"ms", {}},         {"1.0xs", {}},      {"", {}},         {"-1.00ms", {}}};
  for (const auto& c : cases) {
    INFO(c.text);
    const auto ms = parse_wrk_duration_ms(c.text);
    REQUIRE(ms.has_value() == c.ms.has_value());
    if (ms) CHECK(*ms == Approx(*c.ms));
  }
}

TEST_CASE("load output: wrk --latency: requests, percentiles and max as wrk printed them") {
  const auto out = read_ok(LoadParser::wrk, captured("wrk-latency.txt"));
  CHECK(out.ops == 68641);
  CHECK(out.errors == 0);
  REQUIRE(out.latency);
  CHECK(out.latency->p50_ms == Approx(0.44));
  CHECK(out.latency->p99_ms == Approx(0.89));
  CHECK_FALSE(out.latency->p95_ms);  // wrk prints 50, 75, 90, 99
  REQUIRE(out.latency->max_ms);
  CHECK(*out.latency->max_ms == Approx(6.37));
  CHECK(out.latency->count == 68641);
  CHECK(out.details["requests"] == 68641);
}

TEST_CASE("load output: wrk's non-2xx answers and socket errors are errors, not operations") {
  const auto non_2xx = read_ok(LoadParser::wrk, captured("wrk-non2xx.txt"));
  CHECK(non_2xx.ops == 0);
  CHECK(non_2xx.errors == 41218);
  CHECK_FALSE(non_2xx.latency);  // no --latency: no percentiles
  const auto timeouts = read_ok(LoadParser::wrk, captured("wrk-socket-errors.txt"));
  CHECK(timeouts.ops == 1);
  CHECK(timeouts.errors == 1);
  CHECK(timeouts.details["socket_errors"]["timeout"] == 1);
}

TEST_CASE("load output: wrk that printed no summary names the parser and its last line") {
  const auto problem = read_problem(LoadParser::wrk, captured("wrk-refused.txt"));
  CHECK_THAT(problem, Catch::Contains("the wrk parser found no 'N requests in' line"));
  CHECK_THAT(problem, Catch::Contains("its last line: 'unable to connect to 127.0.0.1:18099 "
                                      "Connection refused'"));
  CHECK_THAT(read_problem(LoadParser::wrk, {}), Catch::Contains("it printed nothing"));
}

TEST_CASE("load output: redis-benchmark --csv: -n requests per test, latency of one test") {
  const auto one = read_ok(LoadParser::redis_benchmark, captured("redis-benchmark-lpush.txt"),
                           {"redis-benchmark", "-n", "3000", "-t", "lpush", "--csv"});
  CHECK(one.ops == 3000);
  CHECK(one.errors == 0);
  REQUIRE(one.latency);
  CHECK(one.latency->p50_ms == Approx(0.263));
  CHECK(one.latency->p95_ms.value_or(0) == Approx(0.311));
  CHECK(one.latency->p99_ms == Approx(0.375));
  CHECK(one.latency->max_ms.value_or(0) == Approx(0.479));
  // Two tests: their requests add up; their percentiles do not, so there is none.
  const auto two = read_ok(LoadParser::redis_benchmark, captured("redis-benchmark-two.txt"),
                           {"redis-benchmark", "-n", "2000", "-t", "set,get", "--csv"});
  CHECK(two.ops == 4000);
  CHECK_FALSE(two.latency);
  CHECK(two.details["tests"]["GET"]["rps"] == Approx(90909.09));
  // Without -n, redis-benchmark's default of 100000 per test.
  CHECK(read_ok(LoadParser::redis_benchmark, captured("redis-benchmark-lpush.txt"),
                {"redis-benchmark", "--csv"})
            .ops == 100000);
  CHECK_THAT(read_problem(LoadParser::redis_benchmark, {"PING: 0.5 ms"}),
             Catch::Contains("found no --csv row"));
  CHECK_THAT(read_problem(LoadParser::redis_benchmark, {}, {"redis-benchmark", "-n", "x"}),
             Catch::Contains("needs a number after -n, got 'x'"));
}

TEST_CASE("load output: json-line reads the last line a team's script prints") {
  const auto out =
      read_ok(LoadParser::json_line,
              {"enqueued 3000 jobs",
               R"({"ops": 3000, "errors": 2, "latency_ms": {"p50": 0.1, "p99": 0.9}})", "", "  "});
  CHECK(out.ops == 3000);
  CHECK(out.errors == 2);
  REQUIRE(out.latency);
  CHECK(out.latency->p50_ms == Approx(0.1));
  CHECK(out.latency->p99_ms == Approx(0.9));
  CHECK_FALSE(out.latency->p95_ms);
  CHECK_FALSE(out.latency->max_ms);
  const auto full =
      read_ok(LoadParser::json_line,
              {R"({"ops": 5, "latency_ms": {"p50": 1, "p95": 2, "p99": 3, "max": 4}})"});
  CHECK(full.errors == 0);
  CHECK(full.latency->p95_ms == 2.0);
  CHECK(full.latency->max_ms == 4.0);
  CHECK_FALSE(read_ok(LoadParser::json_line, {R"({"ops": 0})"}).latency);
}

TEST_CASE("load output: a json line that is not the form names what is wrong and quotes it") {
  struct Case {
    std::string line;
    std::string problem;
  };
  const Case cases[] = {
      {"done", "expected the load command's last line to be a JSON object"},
      {"[1, 2]", "to be a JSON object"},
      {R"({"errors": 0})", R"(expected "ops": a whole number)"},
      {R"({"ops": 1.5})", R"(expected "ops": a whole number)"},
      {R"({"ops": -1})", R"(expected "ops": a whole number)"},
      {R"({"ops": 3, "eror": 1})", "the unknown key 'eror'"},
      {R"({"ops": 3, "errors": "none"})", R"(expected "errors")"},
      {R"({"ops": 3, "latency_ms": 5})", "latency_ms\" to be an object"},
      {R"({"ops": 3, "latency_ms": {"p50": 1}})", "at least p50 and p99"},
      {R"({"ops": 3, "latency_ms": {"p50": 1, "p99": -2}})", "latency_ms.p99 to be milliseconds"},
      {R"({"ops": 3, "latency_ms": {"p50": 1, "p99": 2, "p90": 1}})", "'latency_ms.p90'"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const std::string problem = read_problem(LoadParser::json_line, {"first", c.line});
    CHECK_THAT(problem, Catch::StartsWith("the json-line parser"));
    CHECK_THAT(problem, Catch::Contains(c.problem));
    CHECK_THAT(problem, Catch::Contains("its last line: '" + c.line.substr(0, 20)));
  }
  const std::string long_line = "x" + std::string(500, 'y');
  CHECK_THAT(read_problem(LoadParser::json_line, {long_line}),
             Catch::Contains(long_line.substr(0, 200) + "...'"));
}
