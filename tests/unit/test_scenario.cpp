// Scenario validation: the example of the design (redis-queue, every key) loads; each bad case
// fails with exit 2 and names the JSON path of the problem.

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/scenario/scenario_loader.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

// The example scenario of the design: a redis-queue with every key.
json design_example() {
  return json::parse(R"({
  "name": "redis-queue",
  "description": "work queue: LPUSH producers, BRPOP consumers, against a real redis-server",
  "sut": {
    "command": ["redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    "env": {}, "cwd": ".",
    "ready": {"tcp": "127.0.0.1:{port}", "timeout_s": 10}
  },
  "watch": {"interval_ms": 50, "memory": "rss"},
  "phases": {"idle_s": 2, "warmup_s": 2, "load_s": 20, "cooldown_s": 5},
  "driver": {"type": "redis-queue", "host": "127.0.0.1", "port": "{port}", "queues": 1,
             "producers": 2, "consumers": 2, "pipeline": 16, "payload_bytes": 512,
             "rate_per_s": 0, "pop": "brpop"},
  "repeat": 3,
  "gate": {
    "peak_bytes":           {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "plateau_bytes":        {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "residual_bytes":       {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "growth_bytes_per_min": {"max_bytes_per_min": 1048576},
    "throughput_per_s":     {"max_decrease_pct": 15},
    "budgets":              {"peak_bytes": 268435456}
  }
})");
}

json command_scenario() {
  return json::parse(R"({"name": "cmd", "sut": {"command": ["true"]},
                         "phases": {}, "driver": {"type": "command"}})");
}

Scenario load(const json& j, LoadOptions options = {}) {
  return parse_scenario(j, "scenarios/x.json", options);
}

// Asserts that loading j fails with exit 2, naming path, with `contains` in the message.
void expect_bad(const json& j, const std::string& path, const std::string& contains,
                LoadOptions options = {}) {
  INFO("expected error at " << path << ": " << contains);
  try {
    load(j, options);
    FAIL("the scenario was accepted");
  } catch (const InputError& e) {
    INFO("message: " << e.what() << " hint: " << e.hint());
    CHECK(e.code() == ExitCode::bad_input);
    CHECK(e.file() == "scenarios/x.json");
    CHECK(e.json_path() == path);
    CHECK_THAT(std::string(e.what()) + " " + e.hint(), Catch::Contains(contains));
  }
}

json with(json j, const std::string& pointer, json value) {
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

json without(json j, const std::string& pointer) {
  const json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

}  // namespace

TEST_CASE("the DESIGN.md example loads with every key read") {
  const Scenario s = load(design_example());
  CHECK(s.name == "redis-queue");
  CHECK(s.sut.command.size() == 9);
  CHECK(s.sut.command[2] == "1");  // {port} expanded with the validation port
  CHECK(s.sut.cwd == "scenarios");  // relative to the scenario file's folder
  REQUIRE(s.sut.ready.size() == 1);
  CHECK(std::get<ReadyTcp>(s.sut.ready[0].how).host == "127.0.0.1");
  CHECK(s.sut.ready[0].timeout_s == 10);
  CHECK(s.watch.interval_ms == 50);
  CHECK(s.phases.load_s == 20);
  CHECK_FALSE(s.phases.load_ops);
  const auto& d = std::get<RedisQueueDriverSpec>(s.driver);
  CHECK(d.producers == 2);
  CHECK(d.pipeline == 16);
  CHECK(d.consumer_rate_per_s == 0);  // defaults to rate_per_s
  CHECK(s.repeat == 3);
  CHECK(s.gate.rules.size() == 5);
  REQUIRE(s.gate.budgets.size() == 1);
  CHECK(s.gate.budgets[0].limit == 268435456);
  CHECK(scenario_port_names(s) == std::set<std::string>{"sut"});
}

TEST_CASE("instantiate expands {port} everywhere and re-validates") {
  const Scenario s = instantiate(load(design_example()), {{{"sut", 43210}}, "/tmp/run"});
  CHECK(s.sut.command[2] == "43210");
  CHECK(std::get<ReadyTcp>(s.sut.ready[0].how).port == 43210);
  CHECK(std::get<RedisQueueDriverSpec>(s.driver).port == 43210);
}

TEST_CASE("the scenario hash follows the load, not the thresholds") {
  const auto base = scenario_hash(load(design_example()));
  CHECK(base.size() == 16);
  CHECK(scenario_hash(load(design_example())) == base);
  CHECK(scenario_hash(load(with(design_example(), "/gate/peak_bytes/max_increase_pct", 20))) ==
        base);
  CHECK(scenario_hash(load(with(design_example(), "/description", "other"))) == base);
  CHECK(scenario_hash(load(with(design_example(), "/driver/pipeline", 64))) != base);
  CHECK(scenario_hash(load(with(design_example(), "/phases/load_s", 21))) != base);
}

TEST_CASE("defaults of an absent gate, watch and repeat") {
  const Scenario s = load(without(without(design_example(), "/gate"), "/repeat"));
  CHECK(s.repeat == 1);
  CHECK(s.gate.rules.size() == 6);  // peak, plateau, residual, growth, throughput, CPU per op
  const Scenario c = load(command_scenario());
  CHECK(c.watch.interval_ms == 50);
  CHECK(c.watch.memory == MemoryKind::rss);
  CHECK(c.watch.exact_peak);
  // A command has no idle or ops, and without a warm-up no plateau or growth: only its peak.
  REQUIRE(c.gate.rules.size() == 1);
  CHECK(c.gate.rules[0].metric == "peak_bytes");
  const Scenario warm = load(with(command_scenario(), "/phases/warmup_s", 0.5));
  CHECK(warm.gate.rules.size() == 3);  // peak, plateau, growth
  CHECK(c.phases.load_timeout_s == 600);
}

TEST_CASE("top level and names") {
  const json ex = design_example();
  expect_bad(without(ex, "/name"), "/name", "required key 'name'");
  expect_bad(with(ex, "/name", "a b"), "/name", "not a valid name");
  expect_bad(with(ex, "/name", "../etc"), "/name", "not a valid name");
  expect_bad(with(ex, "/reapeat", 3), "/reapeat", "did you mean 'repeat'");
  expect_bad(with(ex, "/repeat", 0), "/repeat", "from 1 to 100");
  expect_bad(with(ex, "/repeat", 2.5), "/repeat", "whole number");
  expect_bad(with(ex, "/max_errors", -1), "/max_errors", "from 0");
  expect_bad(json::array(), "", "expected an object");
}

TEST_CASE("sut") {
  const json ex = design_example();
  expect_bad(without(ex, "/sut"), "/sut", "required key 'sut'");
  expect_bad(with(ex, "/sut/command", "redis-server --port 1"), "/sut/command",
             "expected an array of strings");
  expect_bad(with(ex, "/sut/command", json::array()), "/sut/command", "expected 1 to 4096 items");
  expect_bad(with(ex, "/sut/command/1", 6379), "/sut/command/1", "expected a string");
  expect_bad(with(ex, "/sut/command/0", ""), "/sut/command/0", "program name");
  expect_bad(with(ex, "/sut/env", json{{"A", 1}}), "/sut/env/A", "expected a string");
  expect_bad(with(ex, "/sut/env", json{{"A=B", "x"}}), "/sut/env/A=B", "not a valid environment");
  expect_bad(with(ex, "/sut/cwd", ""), "/sut/cwd", "empty");
  expect_bad(with(ex, "/sut/stop_grace_s", -1), "/sut/stop_grace_s", "from 0 to 600");
  expect_bad(with(ex, "/sut/commnd", json::array({"x"})), "/sut/commnd", "did you mean 'command'");
}

TEST_CASE("readiness probe") {
  const json ex = design_example();
  expect_bad(with(ex, "/sut/ready/log", "Ready"), "/sut/ready", "exactly one of");
  expect_bad(with(ex, "/sut/ready", json::object()), "/sut/ready", "exactly one of");
  expect_bad(with(ex, "/sut/ready/tcp", "10.0.0.1:80"), "/sut/ready/tcp", "not a loopback");
  expect_bad(with(ex, "/sut/ready/tcp", "127.0.0.1"), "/sut/ready/tcp", "HOST:PORT");
  expect_bad(with(ex, "/sut/ready/tcp", "127.0.0.1:99999"), "/sut/ready/tcp", "HOST:PORT");
  expect_bad(with(ex, "/sut/ready/timeout_s", 0), "/sut/ready/timeout_s", "expected a number");
  const Scenario v6 = load(with(ex, "/sut/ready/tcp", "[::1]:{port}"));
  CHECK(std::get<ReadyTcp>(v6.sut.ready[0].how).host == "::1");
  const Scenario log = load(with(ex, "/sut/ready", json{{"log", "Ready to accept"}}));
  CHECK(std::get<ReadyLog>(log.sut.ready[0].how).text == "Ready to accept");
  expect_bad(with(ex, "/sut/ready", json{{"log", ""}}), "/sut/ready/log", "non-empty");
}

TEST_CASE("watch and phases") {
  const json ex = design_example();
  expect_bad(with(ex, "/watch/interval_ms", 0), "/watch/interval_ms", "from 1 to 60000");
  expect_bad(with(ex, "/watch/memory", "vss"), "/watch/memory", "not one of: rss, pss");
  expect_bad(with(ex, "/watch/memory", "ps"), "/watch/memory", "did you mean 'pss'");
  expect_bad(with(ex, "/watch/exact_peak", "no"), "/watch/exact_peak", "true or false");
  expect_bad(with(ex, "/watch/exact_peaks", false), "/watch/exact_peaks",
             "did you mean 'exact_peak'");
  CHECK_FALSE(load(with(ex, "/watch/exact_peak", false)).watch.exact_peak);
  expect_bad(with(ex, "/phases/load_ops", 100), "/phases", "exactly one of 'load_s'");
  expect_bad(without(ex, "/phases/load_s"), "/phases", "exactly one of 'load_s'");
  expect_bad(with(ex, "/phases/idle_s", -2), "/phases/idle_s", "expected a number from 0");
  expect_bad(with(ex, "/phases/load_s", 0), "/phases/load_s", "expected a number");
  expect_bad(with(ex, "/phases/load_s", "20"), "/phases/load_s", "expected a number");
  expect_bad(with(ex, "/phases/load_timeout_s", 30), "/phases/load_timeout_s", "load_ops");
  const Scenario ops = load(with(without(ex, "/phases/load_s"), "/phases/load_ops", 5000));
  CHECK(ops.phases.load_ops == 5000);
}

TEST_CASE("redis-queue driver") {
  const json ex = design_example();
  expect_bad(with(ex, "/driver/type", "redis"), "/driver/type", "did you mean 'redis-queue'");
  expect_bad(with(ex, "/driver/pipeline", 0), "/driver/pipeline", "from 1 to 4096");
  expect_bad(with(ex, "/driver/pipeline", 5000), "/driver/pipeline", "from 1 to 4096");
  expect_bad(with(ex, "/driver/pipeline", 1.5), "/driver/pipeline", "whole number");
  expect_bad(with(ex, "/driver/pipeline", "64"), "/driver/pipeline", "whole number");
  expect_bad(with(ex, "/driver/pipline", 64), "/driver/pipline", "did you mean 'pipeline'");
  expect_bad(with(ex, "/driver/port", "{port}x"), "/driver/port", "port number");
  expect_bad(with(ex, "/driver/port", 0), "/driver/port", "from 1 to 65535");
  expect_bad(with(ex, "/driver/pop", "lpop"), "/driver/pop", "brpop, rpop");
  expect_bad(with(ex, "/driver/rate_per_s", -1), "/driver/rate_per_s", "from 0");
  expect_bad(with(ex, "/driver/password", "hunter2"), "/driver/password", "password_env");
  expect_bad(with(ex, "/driver/password_env", ""), "/driver/password_env", "environment variable");
  expect_bad(with(ex, "/driver/host", "192.168.1.10"), "/driver/host", "--allow-remote");
  LoadOptions remote;
  remote.context.allow_remote = true;
  CHECK(std::get<RedisQueueDriverSpec>(load(with(ex, "/driver/host", "192.168.1.10"), remote)
                                           .driver).host == "192.168.1.10");
  CHECK(std::get<RedisQueueDriverSpec>(load(with(ex, "/driver/host", "::1")).driver).host == "::1");
}

TEST_CASE("text-batch driver") {
  json tb = design_example();
  tb["driver"] = json::parse(R"({"type": "text-batch", "url": "http://127.0.0.1:{port}/embed",
                                 "batch_size": 8, "texts": {"generate": {"count": 10}}})");
  const Scenario s = load(tb);
  const auto& d = std::get<TextBatchDriverSpec>(s.driver);
  CHECK(d.transport == "http");
  CHECK(std::get<TextGenerateSource>(d.texts).count == 10);
  expect_bad(with(tb, "/driver/url", "https://127.0.0.1/x"), "/driver/url", "http://");
  expect_bad(with(tb, "/driver/url", "http://example.com/x"), "/driver/url", "not a loopback");
  expect_bad(without(tb, "/driver/url"), "/driver/url", "required key 'url'");
  expect_bad(with(tb, "/driver/transport", "stdin"), "/driver/url", "remove 'url'");
  expect_bad(with(tb, "/driver/texts", json::object()), "/driver/texts", "exactly one of");
  expect_bad(with(tb, "/driver/texts/generate/min_words", 50), "/driver/texts/generate/max_words",
             "below min_words");
  expect_bad(with(tb, "/driver/texts/generate/cnt", 5), "/driver/texts/generate/cnt",
             "did you mean 'count'");
  const Scenario file = load(with(tb, "/driver/texts", json{{"file", "data/t.txt"}}));
  CHECK(std::get<TextFileSource>(std::get<TextBatchDriverSpec>(file.driver).texts).path ==
        "scenarios/data/t.txt");
}

TEST_CASE("sizes that multiply into memgate's own memory are bounded when the scenario loads") {
  json tb = design_example();
  tb["driver"] = json::parse(R"({"type": "text-batch", "url": "http://127.0.0.1:{port}/embed",
                                 "batch_size": 8, "texts": {"generate": {"count": 10}}})");
  // A corpus bomb: each number is within its range, their product is not.
  json bomb = with(tb, "/driver/texts/generate/count", 10'000'000);
  bomb["driver"]["texts"]["generate"]["max_words"] = 100'000;
  expect_bad(bomb, "/driver/texts/generate", "13.6 TiB of texts, more than the 256 MiB");
  load(with(tb, "/driver/texts/generate/count", 100'000));  // 100,000 texts of 32 words: fine
  // Request bodies in flight: batch_size x the longest text x concurrency.
  json wide = with(tb, "/driver/batch_size", 100'000);
  wide["driver"]["concurrency"] = 64;
  expect_bad(wide, "/driver/batch_size", "batch_size x the longest text x concurrency");
  // Job batches in flight: pipeline x a job's bytes x producers.
  json jobs = with(design_example(), "/driver/pipeline", 4096);
  jobs["driver"]["payload_bytes"] = 16384;
  jobs["driver"]["producers"] = 256;
  expect_bad(jobs, "/driver/pipeline", "pipeline x a job's bytes x producers");
  // Samples of every run: 10 minutes of phases sampled every millisecond, 100 times.
  json samples = with(design_example(), "/watch/interval_ms", 1);
  samples["phases"]["load_s"] = 600;
  CHECK_THROWS_WITH(check_planned_samples(load(samples), 100),
                    Catch::Contains("/watch/interval_ms") &&
                        Catch::Contains("memory samples, more than the 10000000"));
  CHECK_NOTHROW(check_planned_samples(load(design_example()), 3));
  // The repetitions a command line asks for count as the file's do.
  CHECK_NOTHROW(check_planned_samples(load(samples), 1));
  CHECK_THROWS(check_planned_samples(load(samples), 10));
}

TEST_CASE("validation quotes a value as the file writes it, placeholders and all") {
  json ex = design_example();
  expect_bad(with(ex, "/sut/ready/tcp", "redis-server --port {port}"), "/sut/ready/tcp",
             "got 'redis-server --port {port}'");
  expect_bad(with(ex, "/driver/port", "{port}x"), "/driver/port", R"(got "{port}x")");
  expect_bad(with(ex, "/driver/host", "h{port}"), "/driver/host", "'h{port}' is not a loopback");
  // Valid with port 1, not with 65535: the quoted value as written, the bare number as is.
  expect_bad(with(ex, "/sut/ready/tcp", "127.0.0.1:{port}0"), "/sut/ready/tcp",
             "got '127.0.0.1:{port}0'");
  expect_bad(with(ex, "/sut/ready/tcp", "127.0.0.1:{port}0"), "/sut/ready/tcp",
             "with every port = 65535");
}

TEST_CASE("command driver") {
  const json c = command_scenario();
  expect_bad(with(c, "/sut/ready", json{{"delay_ms", 10}}), "/sut/ready", "no readiness probe");
  expect_bad(with(c, "/phases/load_s", 5), "/phases/load_s", "whole life");
  expect_bad(with(c, "/phases/idle_s", 1), "/phases/idle_s", "no idle phase");
  expect_bad(with(c, "/gate/throughput_per_s", json{{"max_decrease_pct", 5}}),
             "/gate/throughput_per_s", "no throughput");
  expect_bad(with(c, "/gate/budgets/residual_bytes", 5), "/gate/budgets/residual_bytes",
             "no idle or cool-down");
  CHECK(load(with(c, "/phases/load_timeout_s", 30)).phases.load_timeout_s == 30);
  // Its plateau and growth exist only after a warm-up that cuts its start-up off.
  for (const char* metric : {"plateau_bytes", "growth_bytes_per_min"}) {
    const json rule = json{{"max_increase_pct", 5}};
    expect_bad(with(c, std::string("/gate/") + metric, rule), std::string("/gate/") + metric,
               "set phases.warmup_s");
    const json warm = with(c, "/phases/warmup_s", 0.2);
    CHECK(load(with(warm, std::string("/gate/") + metric, rule)).gate.rules.size() == 1);
  }
}

TEST_CASE("gate rules are validated when the scenario loads") {
  const json ex = design_example();
  expect_bad(with(ex, "/gate/peak_byte", json{{"max_increase_pct", 5}}), "/gate/peak_byte",
             "did you mean 'peak_bytes'");
  expect_bad(with(ex, "/gate/peak_bytes", json::object()), "/gate/peak_bytes",
             "needs 'max_increase_pct' and/or 'min_increase_bytes'");
  expect_bad(with(ex, "/gate/peak_bytes/max_increase_percent", 5),
             "/gate/peak_bytes/max_increase_percent", "did you mean 'max_increase_pct'");
  expect_bad(with(ex, "/gate/throughput_per_s", json{{"max_increase_pct", 5}}),
             "/gate/throughput_per_s/max_increase_pct", "unknown key");
  expect_bad(with(ex, "/gate/peak_bytes/max_increase_pct", -5),
             "/gate/peak_bytes/max_increase_pct", "from 0");
  expect_bad(with(ex, "/gate/budgets/peak", 5), "/gate/budgets/peak", "did you mean 'peak_bytes'");
  expect_bad(with(ex, "/gate/budgets/peak_bytes", "256MB"), "/gate/budgets/peak_bytes",
             "expected a number");
  expect_bad(with(ex, "/gate/max_reruns", 11), "/gate/max_reruns", "from 0 to 10");
  // An open model holds its rate or the run is invalid: a throughput rule could never fire.
  expect_bad(with(ex, "/driver/rate_per_s", 1000), "/gate/throughput_per_s", "latency_p99_ms");
  const Scenario open = load(with(without(ex, "/gate"), "/driver/rate_per_s", 1000));
  REQUIRE_FALSE(open.gate.rules.empty());
  for (const auto& rule : open.gate.rules) CHECK(rule.metric != "throughput_per_s");
  expect_bad(with(without(ex, "/phases/cooldown_s"), "/gate/residual_bytes/max_increase_pct", 5),
             "/gate/residual_bytes", "cool-down");
}

TEST_CASE("placeholders") {
  const json ex = design_example();
  expect_bad(with(ex, "/sut/command/2", "{prot}"), "/sut/command/2", "unknown placeholder '{prot}'");
  const Scenario s = load(with(ex, "/sut/command/2", "{\"json\": {}} {bindir}/x {scenario_dir}"),
                          LoadOptions{{"/opt/bin", false}, {}});
  // {scenario_dir} is absolute: it means the same whatever a process's working folder.
  CHECK(s.sut.command[2] == "{\"json\": {}} /opt/bin/x " +
                                (std::filesystem::current_path() / "scenarios").string());
  // "{{" is a literal brace: Python's format strings survive.
  const Scenario escaped = load(with(ex, "/sut/command/2", "print('{{x}'.format(x={port}))"));
  CHECK(escaped.sut.command[2] == "print('{x}'.format(x=1))");
}

TEST_CASE("overrides given with --set are validated like the file") {
  LoadOptions o;
  o.overrides = {parse_override("driver.pipeline=64"), parse_override("phases.load_s=1.5"),
                 parse_override("description=hello world")};
  const Scenario s = load(design_example(), o);
  CHECK(std::get<RedisQueueDriverSpec>(s.driver).pipeline == 64);
  CHECK(s.phases.load_s == 1.5);
  CHECK(s.description == "hello world");

  LoadOptions typo;
  typo.overrides = {parse_override("driver.pipline=64")};
  expect_bad(design_example(), "/driver/pipline", "set by --set driver.pipline=64", typo);
  LoadOptions wrong_type;
  wrong_type.overrides = {parse_override("driver.pipeline=lots")};
  expect_bad(design_example(), "/driver/pipeline", "set by --set driver.pipeline=lots", wrong_type);

  CHECK_THROWS_AS(parse_override("pipeline"), UsageError);
  CHECK_THROWS_AS(parse_override("=5"), UsageError);
  CHECK_THROWS_AS(parse_override("driver..pipeline=5"), UsageError);
  json j = design_example();
  CHECK_THROWS_AS(apply_overrides(j, {parse_override("name.first=x")}), UsageError);
}

TEST_CASE("hostile JSON text") {
  CHECK_THROWS_WITH(parse_json_text("{\"a\": ", "f.json"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(parse_json_text("{\"a\": 1e400}", "f.json"), Catch::Contains("f.json"));
  CHECK_THROWS_WITH(parse_json_text(std::string(1000, '[') + std::string(1000, ']'), "f.json"),
                    Catch::Contains("nested deeper than 64"));
  CHECK_THROWS_WITH(parse_json_text("{\"a\": \"\xff\xfe\"}", "f.json"),
                    Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(parse_json_text("{\"a\": NaN}", "f.json"), Catch::Contains("not valid JSON"));
  // Huge integers are refused by the range check, not wrapped around.
  expect_bad(with(design_example(), "/driver/pipeline", json::parse("18446744073709551615")),
             "/driver/pipeline", "from 1 to 4096");
  expect_bad(with(design_example(), "/phases/load_s", 1e300), "/phases/load_s",
             "expected a number");
  // 2^63 as a float must not wrap around when it becomes a whole number.
  json big = design_example();
  big["driver"] = json::parse(R"({"type": "text-batch", "url": "http://127.0.0.1:1/",
                                  "texts": {"generate": {"seed": 9223372036854775808.0}}})");
  expect_bad(big, "/driver/texts/generate/seed", "whole number");
}

TEST_CASE("duplicate keys are refused, named by their path") {
  const auto bad = [](const std::string& text, const std::string& path) {
    try {
      parse_json_text(text, "d.json");
      FAIL("accepted: " << text);
    } catch (const InputError& e) {
      CHECK(e.json_path() == path);
      CHECK_THAT(e.what(), Catch::Contains("appears twice"));
    }
  };
  bad(R"({"name": "a", "x": 1, "name": "b"})", "/name");
  bad(R"({"sut": {"command": ["a"], "env": {"A": "1", "A": "2"}}})", "/sut/env/A");
  bad(R"({"list": [1, {"k": 1}, [2, {"z": 1, "z": 2}]]})", "/list/2/1/z");
  CHECK_NOTHROW(parse_json_text(R"({"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}]})",
                                "ok.json"));
}

TEST_CASE("sweep: every value is a scenario of its own, validated when the file loads") {
  json ex = design_example();
  ex["sweep"] = {{"key", "driver.producers"}, {"values", {1, 2, 4}}};
  const Scenario s = load(ex);
  REQUIRE(s.sweep);
  CHECK(s.sweep->key == "driver.producers");
  CHECK(s.sweep->values == std::vector<double>{1, 2, 4});
  REQUIRE(s.sweep->variants.size() == 3);
  CHECK(s.sweep->variants[2]->source["driver"]["producers"] == 4);
  CHECK_FALSE(s.sweep->variants[2]->sweep);
  // The sweep shapes the measurement: its hash changes with it.
  json other = ex;
  other["sweep"]["values"] = {1, 2, 8};
  CHECK(scenario_hash(load(other)) != scenario_hash(s));
  CHECK(scenario_hash(load(design_example())) != scenario_hash(s));
}

TEST_CASE("sweep: a bad key or value is exit 2 with the JSON path") {
  json ex = design_example();
  ex["sweep"] = {{"key", "driver.producers"}, {"values", {1, 2, 4}}};
  expect_bad(with(ex, "/sweep/key", "driver.producer"), "/sweep/key", "no such key");
  expect_bad(with(ex, "/sweep/key", "name"), "/sweep/key", "it holds \"redis-queue\"");
  expect_bad(with(ex, "/sweep/key", "repeat"), "/sweep/key", "outside gate and repeat");
  expect_bad(with(ex, "/sweep/key", "gate.budgets.peak_bytes"), "/sweep/key", "not a number");
  expect_bad(with(ex, "/sweep/values", {1}), "/sweep/values", "2 to 20 numbers");
  expect_bad(with(ex, "/sweep/values", {1, 1}), "/sweep/values", "given twice");
  expect_bad(with(ex, "/sweep/values", {1, "2"}), "/sweep/values/1", "expected a number");
  // A value the key cannot take names the value and what it broke.
  expect_bad(with(ex, "/sweep/values", {1, 0}), "/sweep/values/1",
             "driver.producers = 0: /driver/producers");
  expect_bad(with(ex, "/sweep/values", {1, 2.5}), "/sweep/values/1", "driver.producers = 2.5");
  expect_bad(with(ex, "/sweep/vals", {1, 2}), "/sweep/vals", "did you mean 'values'");
}

TEST_CASE("sweep: per-unit rules are read, need a sweep, and round-trip through report.json") {
  json ex = design_example();
  ex["sweep"] = {{"key", "driver.producers"}, {"values", {1, 2, 4}}};
  ex["gate"]["per_unit.retained_bytes"] = {{"max", 64}, {"max_increase_pct", 50}};
  ex["gate"]["per_unit.peak_bytes"] = {{"min_increase_bytes", 256}};
  const Scenario s = load(ex);
  REQUIRE(s.gate.per_unit.size() == 2);
  CHECK(s.gate.per_unit[1].metric == "retained_bytes");
  CHECK(s.gate.per_unit[1].max == 64);
  CHECK(s.gate.per_unit[1].max_change_pct == 50);
  CHECK_FALSE(s.gate.per_unit[1].min_change);
  CHECK(s.gate.per_unit[0].min_change == 256);
  // The runs at one value carry no per-unit rule: they belong to the sweep.
  CHECK(s.sweep->variants[0]->gate.per_unit.empty());
  const GateSpec back = gate_from_json(gate_to_json(s.gate), "report.json", "/gate");
  CHECK(gate_to_json(back) == gate_to_json(s.gate));

  expect_bad(without(ex, "/sweep"), "/gate/per_unit.peak_bytes", "needs a sweep");
  expect_bad(with(ex, "/gate/per_unit.retained_bytes", json::object()),
             "/gate/per_unit.retained_bytes", "needs 'max'");
  expect_bad(with(ex, "/gate/per_unit.retained_bytes", {{"max_bytes", 1}}),
             "/gate/per_unit.retained_bytes/max_bytes", "unknown key");
  expect_bad(with(ex, "/gate/per_unit.retaind_bytes", {{"max", 1}}), "/gate/per_unit.retaind_bytes",
             "did you mean per_unit.retained_bytes?");
  expect_bad(with(ex, "/gate/per_unit.throughput_per_s", {{"max", 1}}),
             "/gate/per_unit.throughput_per_s", "has no figure per unit");
}

TEST_CASE("sweep: --sweep KEY=V1,V2 sets the scenario's sweep") {
  LoadOptions o;
  o.overrides = {parse_sweep_option("driver.producers=1,2,4")};
  const Scenario s = load(design_example(), o);
  REQUIRE(s.sweep);
  CHECK(s.sweep->key == "driver.producers");
  CHECK(s.sweep->values == std::vector<double>{1, 2, 4});
  LoadOptions bad;
  bad.overrides = {parse_sweep_option("driver.producers=1,two")};
  expect_bad(design_example(), "/sweep/values/1",
             "expected a number, got \"two\" (set by --sweep driver.producers=1,two)", bad);
  CHECK_THROWS_AS(parse_sweep_option("driver.producers"), UsageError);
  CHECK_THROWS_AS(parse_sweep_option("=1,2"), UsageError);
  CHECK_THROWS_AS(parse_sweep_option("driver.producers="), UsageError);
}
