// Scenario validation of services, ready lists, `files` templates, {port:NAME}, the redis-queue
// driver's producer-only mode and the gate rules of gated services: what loads, what each
// placeholder becomes in a run, and every refusal with its exit code, JSON path and message.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/drivers/driver_kind.hpp"
#include "core/gate/gate.hpp"
#include "core/model/errors.hpp"
#include "core/model/json_reader.hpp"
#include "core/scenario/scenario_loader.hpp"

using namespace memgate;
using nlohmann::json;

namespace {

// A worker SUT that consumes a Redis queue; redis-server is a service; memgate only produces.
json worker() {
  return json::parse(R"({
  "name": "worker",
  "services": {
    "redis": {"command": ["redis-server", "--port", "{port:redis}", "--bind", "127.0.0.1"],
              "ready": {"tcp": "127.0.0.1:{port:redis}"}}
  },
  "sut": {"command": ["python3", "worker.py", "--redis", "127.0.0.1:{port:redis}"],
          "ready": {"log": "worker ready"}},
  "phases": {"idle_s": 1, "load_s": 5},
  "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"], "consumers": 0,
             "job": {"template": "{\"id\":\"{job_id}\",\"text\":{text_json}}",
                     "texts": {"generate": {"count": 10}}},
             "completion": {"ack_queue": "memgate:acks"}}
})");
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

const RedisQueueDriverSpec& redis_driver(const Scenario& s) {
  return std::get<RedisQueueDriverSpec>(s.driver);
}

std::vector<std::string> role_names(const std::vector<RoleSpec>& roles) {
  std::vector<std::string> out;
  for (const auto& role : roles) out.push_back(role.name);
  return out;
}

std::set<std::string> rule_metrics(const GateSpec& gate) {
  std::set<std::string> out;
  for (const auto& rule : gate.rules) out.insert(rule.metric);
  return out;
}

const GateRule* find_rule(const GateSpec& gate, const std::string& metric) {
  for (const auto& rule : gate.rules) {
    if (rule.metric == metric) return &rule;
  }
  return nullptr;
}

// A scenario folder under /tmp with its files, removed at the end of the test.
class ScenarioDir {
 public:
  ScenarioDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "memgate-services-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScenarioDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScenarioDir(const ScenarioDir&) = delete;
  ScenarioDir& operator=(const ScenarioDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(file(name)).parent_path());
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }
  Scenario load(const json& scenario) const {
    return load_scenario_file(write("scenario.json", scenario.dump(2)), {});
  }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("services start in the file's order when loaded from a file") {
  ScenarioDir dir;
  // Not in name order, so the file's order cannot come out of a sorted map by chance.
  const std::string text = R"({
    "name": "ordered",
    "services": {
      "zeta":  {"command": ["redis-server", "--port", "{port:zeta}"]},
      "alpha": {"command": ["true"]},
      "mid":   {"command": ["true"], "cwd": "sub", "stop_grace_s": 1, "env": {"K": "{port:zeta}"}}
    },
    "sut": {"command": ["true"]},
    "phases": {"load_s": 1},
    "driver": {"type": "redis-queue", "redis": "zeta", "consumers": 0,
               "completion": {"drain": true}}
  })";
  const Scenario s = load_scenario_file(dir.write("ordered.json", text), {});
  CHECK(role_names(s.services) == std::vector<std::string>{"zeta", "alpha", "mid"});
  CHECK(s.service_order == std::vector<std::string>{"zeta", "alpha", "mid"});
  REQUIRE(s.role("mid") != nullptr);
  CHECK(s.role("mid")->cwd == dir.file("sub"));  // relative to the scenario file's folder
  CHECK(s.role("mid")->stop_grace_s == 1);
  CHECK(s.role("mid")->env.at("K") == "1");  // {port:zeta}, with the validation port
  CHECK(s.role("sut") == &s.sut);
  CHECK(s.role("nope") == nullptr);
  CHECK_FALSE(s.role("zeta")->gate);  // services are not gated unless they say so

  // Without the file's key order (parse_scenario of JSON already parsed) they go by name.
  const Scenario by_name = parse_scenario(json::parse(text), "x.json", {});
  CHECK(role_names(by_name.services) == std::vector<std::string>{"alpha", "mid", "zeta"});
}

TEST_CASE("service names") {
  const json w = worker();
  // name, JSON path of the error
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"Redis", "/services/Redis"},
      {"sut", "/services/sut"},
      {"9lives", "/services/9lives"},
      {"_cache", "/services/_cache"},
      {"re.dis", "/services/re.dis"},
      {"re dis", "/services/re dis"},
      {"a/b", "/services/a~1b"},
      {"", "/services/"},
      {std::string(33, 'a'), "/services/" + std::string(33, 'a')},
  };
  for (const auto& [name, path] : bad) {
    INFO("name '" << name << "'");
    expect_bad(with(w, json_pointer_child("/services", name), json{{"command", {"true"}}}), path,
               "is not a valid service name");
  }
  const std::vector<std::string> good = {"a", "cache-2", "my_db", std::string(32, 'z')};
  for (const std::string& name : good) {
    INFO("name '" << name << "'");
    json j = w;
    j["services"][name] = json{{"command", {"true"}}};
    const Scenario s = load(j);
    CHECK(s.role(name) != nullptr);
  }
  expect_bad(with(w, "/services/redis", json{{"ready", {{"delay_ms", 1}}}}),
             "/services/redis/command", "required key 'command'");
  expect_bad(with(w, "/services/redis/comand", json::array({"x"})), "/services/redis/comand",
             "did you mean 'command'");
  expect_bad(with(w, "/services", json::array()), "/services", "expected an object");
  expect_bad(with(w, "/services/redis/gate", "yes"), "/services/redis/gate", "true or false");
  // `gate` is a service's key: the SUT's memory is always gated.
  expect_bad(with(w, "/sut/gate", true), "/sut/gate", "unknown key 'gate'");
}

TEST_CASE("{port:NAME} is one port per name and the same wherever it appears") {
  json j = worker();
  j["services"]["cache"] = json::parse(R"({"command": ["{bindir}/cache", "--port", "{port:cache}"],
                                           "ready": [{"tcp": "[::1]:{port:cache}"}]})");
  j["sut"]["command"].push_back("--cache=127.0.0.1:{port:cache}");
  j["sut"]["command"].push_back("--trace={run_dir}/trace.txt");
  const Scenario loaded = load(j, LoadOptions{{"/opt/bin", false}, {}});
  CHECK(scenario_port_names(loaded) == std::set<std::string>{"cache", "redis"});

  const Scenario s = instantiate(loaded, {{{"redis", 7001}, {"cache", 7002}}, "/tmp/run1"});
  CHECK(s.sut.command[3] == "127.0.0.1:7001");
  CHECK(s.sut.command[4] == "--cache=127.0.0.1:7002");
  CHECK(s.sut.command[5] == "--trace=/tmp/run1/trace.txt");
  REQUIRE(s.services.size() == 2);
  const RoleSpec& redis = *s.role("redis");
  CHECK(redis.command[2] == "7001");
  CHECK(std::get<ReadyTcp>(redis.ready.at(0).how).port == 7001);
  const RoleSpec& cache = *s.role("cache");
  CHECK(cache.command[0] == "/opt/bin/cache");
  CHECK(cache.command[2] == "7002");
  CHECK(std::get<ReadyTcp>(cache.ready.at(0).how).host == "::1");
  CHECK(std::get<ReadyTcp>(cache.ready.at(0).how).port == 7002);
  // The driver loads the service named by `redis`, at that service's port.
  CHECK(redis_driver(s).redis_service == "redis");
  CHECK(redis_driver(s).port == 7001);
  const DriverTraits traits = driver_traits(s.driver);
  REQUIRE(traits.redis);
  CHECK(traits.redis->role == "redis");
  CHECK(traits.redis->port == 7001);
  CHECK(traits.redis->queue_keys == std::vector<std::string>{"jobs"});
  // The port does not shape the measurement.
  CHECK(scenario_hash(s) == scenario_hash(loaded));

  // A run must give every name a port.
  try {
    instantiate(loaded, {{{"redis", 7001}}, "/tmp/run1"});
    FAIL("instantiated without a port for cache");
  } catch (const InputError& e) {
    CHECK(e.json_path() == "/services/cache/command/2");
    CHECK_THAT(e.what(), Catch::Contains("no port was chosen for 'cache'"));
  }
  // {port} is {port:sut}.
  const Scenario sut_port = load(with(j, "/sut/command/1", "{port}"));
  CHECK(scenario_port_names(sut_port) == std::set<std::string>{"cache", "redis", "sut"});
  CHECK(instantiate(sut_port, {{{"redis", 1}, {"cache", 2}, {"sut", 4321}}, "/r"}).sut.command[1] ==
        "4321");
}

TEST_CASE("a {port:NAME} close to a service's name is a typo") {
  const json w = worker();
  // The message names the first string that holds the typo (or the files entry of a template).
  expect_bad(with(w, "/sut/command/3", "127.0.0.1:{port:rdis}"), "/sut/command/3",
             "{port:rdis} names no service");
  expect_bad(with(w, "/sut/command/3", "127.0.0.1:{port:redis2}"), "/sut/command/3",
             "did you mean {port:redis}?");
  // A port of the SUT's own (a metrics endpoint) is declared in "ports"; undeclared, a name far
  // from every service's is a typo too, and a declared port nothing uses is refused.
  json metrics = with(w, "/sut/command/3", "--metrics={port:metrics}");
  expect_bad(metrics, "/sut/command/3", "{port:metrics} names no service and no port of");
  expect_bad(metrics, "/sut/command/3", R"("ports": ["metrics"])");
  metrics["ports"] = {"metrics"};
  const Scenario s = load(metrics);
  CHECK(s.ports == std::vector<std::string>{"metrics"});
  CHECK(scenario_port_names(s) == std::set<std::string>{"metrics", "redis"});
  expect_bad(with(metrics, "/sut/command/3", "--metrics={port:metrix}"), "/sut/command/3",
             "did you mean {port:metrics}?");
  expect_bad(with(metrics, "/ports/1", "admin"), "/ports/1", "no {port:admin} uses it");
  expect_bad(with(metrics, "/ports/1", "redis"), "/ports/1", "is a service");
  expect_bad(with(metrics, "/ports/1", "metrics"), "/ports/1", "declared twice");
  expect_bad(with(metrics, "/ports/0", "Metrics"), "/ports/0", "not a port name");
  // Malformed port placeholders name their string.
  expect_bad(with(w, "/sut/command/3", "{port:Redis}"), "/sut/command/3",
             "'{port:' must be followed by a name and '}'");
  expect_bad(with(w, "/sut/command/3", "{port:}"), "/sut/command/3", "followed by a name");
  expect_bad(with(w, "/sut/command/3", "{rundir}/x"), "/sut/command/3",
             "unknown placeholder '{rundir}'");
}

TEST_CASE("ready: one probe or a list of them") {
  const json w = worker();
  const Scenario two = load(with(w, "/sut/ready", json::parse(R"([
      {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 3}, {"log": "worker ready"}])")));
  REQUIRE(two.sut.ready.size() == 2);
  CHECK(std::get<ReadyTcp>(two.sut.ready[0].how).port == 1);
  CHECK(two.sut.ready[0].timeout_s == 3);
  CHECK(std::get<ReadyLog>(two.sut.ready[1].how).text == "worker ready");
  CHECK(two.sut.ready[1].timeout_s == 10);
  const Scenario one = load(w);
  REQUIRE(one.sut.ready.size() == 1);
  CHECK(std::get<ReadyLog>(one.sut.ready[0].how).text == "worker ready");
  CHECK(load(without(w, "/sut/ready")).sut.ready.empty());
  const Scenario sixteen =
      load(with(w, "/services/redis/ready", json(std::vector<json>(16, json{{"delay_ms", 1}}))));
  CHECK(sixteen.role("redis")->ready.size() == 16);

  // path, value, JSON path of the error, message
  const std::vector<std::tuple<std::string, json, std::string, std::string>> bad = {
      {"/sut/ready", json::array(), "/sut/ready", "expected 1 to 16 probes"},
      {"/services/redis/ready", json(std::vector<json>(17, json{{"delay_ms", 1}})),
       "/services/redis/ready", "expected 1 to 16 probes"},
      {"/sut/ready", "worker ready", "/sut/ready",
       "expected a probe object or a list of them, got string"},
      {"/sut/ready", 5, "/sut/ready", "got number"},
      {"/sut/ready", json::array({1}), "/sut/ready/0", "expected an object, got number"},
      {"/sut/ready", json::parse(R"([{"log": "a"}, {"log": "b", "tcp": "127.0.0.1:1"}])"),
       "/sut/ready/1", "exactly one of 'tcp', 'log', 'delay_ms'"},
      {"/services/redis/ready", json::parse(R"([{"tcp": "10.0.0.1:{port:redis}"}])"),
       "/services/redis/ready/0/tcp", "not a loopback"},
      {"/sut/ready", json::parse(R"([{"log": "a", "timout_s": 1}])"), "/sut/ready/0/timout_s",
       "did you mean 'timeout_s'"},
  };
  for (const auto& [where, value, path, message] : bad) {
    expect_bad(with(w, where, value), path, message);
  }

  // A command scenario's whole life is the load: no probe, not even in a list.
  const json command = json::parse(R"({"name": "c", "sut": {"command": ["true"]}, "phases": {},
                                       "driver": {"type": "command"}})");
  expect_bad(with(command, "/sut/ready", json::array({json{{"delay_ms", 1}}})), "/sut/ready",
             "no readiness probe");
}

TEST_CASE("files: destinations stay inside the run's folder") {
  const json w = worker();
  for (const std::string& destination :
       std::vector<std::string>{"../redis.conf", "/etc/redis.conf", "conf/../../x", "./redis.conf",
                                "conf/./x", "conf/", ".", "..", "", std::string(256, 'f')}) {
    INFO("destination '" << destination << "'");
    expect_bad(with(w, "/services/redis/files", json{{destination, "redis.conf.in"}}),
               json_pointer_child("/services/redis/files", destination),
               "is not a file name inside the run's folder");
  }
  expect_bad(with(w, "/sut/files", json{{"worker.ini", ""}}), "/sut/files/worker.ini",
             "expected a template file name");
  expect_bad(with(w, "/sut/files", json{{"worker.ini", 1}}), "/sut/files/worker.ini",
             "expected a string");
  expect_bad(with(w, "/sut/files", json::array({"worker.ini"})), "/sut/files",
             "expected an object of strings");
  // A missing template names the key whose template it is.
  expect_bad(with(w, "/services/redis/files", json{{"conf/redis.conf", "no-such.conf.in"}}),
             "/services/redis/files/conf~1redis.conf", "the template scenarios/no-such.conf.in");
  expect_bad(with(w, "/services/redis/files", json{{"conf/redis.conf", "no-such.conf.in"}}),
             "/services/redis/files/conf~1redis.conf", "relative to the scenario file's folder");
}

TEST_CASE("files: templates are read when the scenario loads and expanded for each run") {
  ScenarioDir dir;
  dir.write("templates/redis.conf.in", "port {port:redis}\ndir {run_dir}\n# {{literal}\n");
  dir.write("templates/worker.ini.in", "metrics = {port:metrics}\n");
  json j = worker();
  j["services"]["redis"]["command"] = {"redis-server", "{run_dir}/conf/redis.conf"};
  j["services"]["redis"]["files"] = {{"conf/redis.conf", "templates/redis.conf.in"}};
  j["sut"]["files"] = {{"worker.ini", "templates/worker.ini.in"}};
  j["ports"] = {"metrics"};
  const Scenario loaded = dir.load(j);
  // {port:redis} is only in the template, yet the driver's `redis` finds the service's port, and
  // {port:metrics} (only in another template) gets one too.
  CHECK(scenario_port_names(loaded) == std::set<std::string>{"metrics", "redis"});

  // Read once: the run does not need the template files any more.
  std::filesystem::remove_all(dir.file("templates"));
  const Scenario run =
      instantiate(loaded, {{{"redis", 6400}, {"metrics", 9100}}, "/tmp/memgate-run-7"});
  const RoleSpec& redis = *run.role("redis");
  REQUIRE(redis.files.size() == 1);
  CHECK(redis.files[0].destination == "conf/redis.conf");
  CHECK(redis.files[0].template_path == dir.file("templates/redis.conf.in"));
  CHECK(redis.files[0].text == "port 6400\ndir /tmp/memgate-run-7\n# {literal}\n");
  CHECK(redis.command[1] == "/tmp/memgate-run-7/conf/redis.conf");
  REQUIRE(run.sut.files.size() == 1);
  CHECK(run.sut.files[0].text == "metrics = 9100\n");
  CHECK(redis_driver(run).port == 6400);
}

TEST_CASE("files: a template's text is validated and counts in the scenario hash") {
  ScenarioDir dir;
  json j = worker();
  j["services"]["redis"]["files"] = {{"redis.conf", "redis.conf.in"}};

  dir.write("redis.conf.in", "port {port:redis}\n");
  const std::string hash = scenario_hash(dir.load(j));
  CHECK(scenario_hash(dir.load(j)) == hash);
  dir.write("redis.conf.in", "port {port:redis}\nmaxmemory 64mb\n");
  CHECK(scenario_hash(dir.load(j)) != hash);

  const auto bad = [&](const std::string& text, const std::string& path,
                       const std::string& contains) {
    INFO("template: " << text);
    dir.write("redis.conf.in", text);
    try {
      dir.load(j);
      FAIL("the template was accepted");
    } catch (const InputError& e) {
      INFO("message: " << e.what() << " hint: " << e.hint());
      CHECK(e.file() == dir.file("scenario.json"));
      CHECK(e.json_path() == path);
      CHECK_THAT(std::string(e.what()) + " " + e.hint(), Catch::Contains(contains));
    }
  };
  bad("dir {rundir}\n", "/services/redis/files/redis.conf", "unknown placeholder '{rundir}'");
  bad("dir {rundir}\n", "/services/redis/files/redis.conf",
      "(in the template " + dir.file("redis.conf.in") + ")");
  bad("port {port:Redis}\n", "/services/redis/files/redis.conf", "'{port:' must be followed");
  bad("port {port:rdis}\n", "/services/redis/files/redis.conf", "did you mean {port:redis}?");
}

TEST_CASE("redis-queue: producer-only mode where the SUT consumes") {
  const json w = worker();
  const Scenario s = load(w);
  const RedisQueueDriverSpec& d = redis_driver(s);
  CHECK(d.producer_only());
  CHECK(d.completion.kind == RedisCompletion::Kind::ack_queue);
  CHECK(d.completion.ack_queue == "memgate:acks");
  CHECK(d.queue_names == std::vector<std::string>{"jobs"});
  CHECK(d.queues == 1);
  CHECK(d.redis_service == "redis");
  REQUIRE(d.job_template);
  // The job template is left as written: its placeholders are replaced per job at run time.
  CHECK(*d.job_template == R"({"id":"{job_id}","text":{text_json}})");
  REQUIRE(d.job_texts);
  CHECK(std::get<TextGenerateSource>(*d.job_texts).count == 10);
  CHECK(driver_traits(s.driver).op_unit == "job");
  CHECK(driver_traits(s.driver).has_latency);

  const Scenario drain = load(with(w, "/driver/completion", json{{"drain", true}}));
  CHECK(redis_driver(drain).completion.kind == RedisCompletion::Kind::drain);
  CHECK_FALSE(driver_traits(drain.driver).has_latency);  // a job left the queue: not finished
  // Drain needs no {job_id}: nothing is matched.
  const Scenario plain = load(with(with(w, "/driver/completion", json{{"drain", true}}),
                                   "/driver/job", json{{"template", "x"}}));
  CHECK(*redis_driver(plain).job_template == "x");
  // Without a job, random payloads.
  const Scenario payload = load(with(without(w, "/driver/job"), "/driver/payload_bytes", 64));
  CHECK_FALSE(redis_driver(payload).job_template);
  CHECK(redis_driver(payload).payload_bytes == 64);
  // Placeholders of memgate's inside the job template are left too, and ask for no port.
  const Scenario verbatim =
      load(with(w, "/driver/job/template", "{job_id} {port:nosuch} {run_dir} {text_json}"));
  CHECK(*redis_driver(verbatim).job_template == "{job_id} {port:nosuch} {run_dir} {text_json}");
  CHECK(scenario_port_names(verbatim) == std::set<std::string>{"redis"});
  // With consumers of memgate's own, they complete the jobs.
  const Scenario own =
      load(with(without(without(w, "/driver/completion"), "/driver/job"), "/driver/consumers", 2));
  CHECK(redis_driver(own).completion.kind == RedisCompletion::Kind::own_pops);
  CHECK_FALSE(redis_driver(own).producer_only());
  // host and port instead of a service.
  // A port that is a service's names that service: its figures are the service's.
  const Scenario host = load(with(without(w, "/driver/redis"), "/driver/port", "{port:redis}"));
  CHECK(redis_driver(host).redis_service == "redis");
  CHECK(redis_driver(host).port == 1);
  const Scenario other = load(with(without(w, "/driver/redis"), "/driver/port", 6379));
  CHECK(redis_driver(other).redis_service.empty());
  // queues and key_prefix instead of queue_names.
  const Scenario counted = load(with(with(without(w, "/driver/queue_names"), "/driver/queues", 2),
                                     "/driver/key_prefix", "work:"));
  CHECK(redis_driver(counted).queue_names == std::vector<std::string>{"work:0", "work:1"});
  std::vector<std::string> names;
  for (int i = 0; i < 1024; ++i) names.push_back("q" + std::to_string(i));
  CHECK(redis_driver(load(with(w, "/driver/queue_names", names))).queues == 1024);
}

TEST_CASE("redis-queue: producer-only refusals") {
  const json w = worker();
  const json drain = with(w, "/driver/completion", json{{"drain", true}});
  // scenario, JSON path of the error, message
  const std::vector<std::tuple<json, std::string, std::string>> bad = {
      // completion is required with consumers 0, and refused otherwise
      {without(w, "/driver/completion"), "/driver/completion", "required when consumers is 0"},
      {with(without(w, "/driver/job"), "/driver/consumers", 2), "/driver/completion",
       "memgate's own consumers complete"},
      {without(without(w, "/driver/job"), "/driver/consumers"), "/driver/completion",
       "memgate's own consumers complete"},
      {with(w, "/driver/consumers", 2), "/driver/job", "a job template is for a worker"},
      {with(w, "/driver/completion", json::object()), "/driver/completion",
       "exactly one of 'ack_queue' and 'drain'"},
      {with(w, "/driver/completion/drain", true), "/driver/completion",
       "exactly one of 'ack_queue' and 'drain'"},
      {with(w, "/driver/completion", json{{"drain", false}}), "/driver/completion/drain",
       "expected true"},
      {with(w, "/driver/completion", json{{"drain", "yes"}}), "/driver/completion/drain",
       "true or false"},
      {with(w, "/driver/completion/ack_queue", ""), "/driver/completion/ack_queue",
       "1 to 200 bytes"},
      {with(w, "/driver/completion/ack_queue", std::string(201, 'a')),
       "/driver/completion/ack_queue", "1 to 200 bytes"},
      {with(w, "/driver/completion/ack_queue", "jobs"), "/driver/completion/ack_queue",
       "must not be one of the job queues"},
      {with(w, "/driver/completion/ack_queues", "x"), "/driver/completion/ack_queues",
       "did you mean 'ack_queue'"},
      {with(w, "/driver/completion", "memgate:acks"), "/driver/completion", "expected an object"},
      // memgate has no consumers of its own to configure
      {with(w, "/driver/pop", "rpop"), "/driver/pop", "no consumers of its own"},
      {with(w, "/driver/consumer_rate_per_s", 10), "/driver/consumer_rate_per_s",
       "no consumers of its own"},
      {with(w, "/driver/consumers", -1), "/driver/consumers", "from 0 to 256"},
      // the job
      {with(w, "/driver/job/template", R"({"text":{text_json}})"), "/driver/job/template",
       "acknowledged jobs need {job_id}"},
      {with(w, "/driver/payload_bytes", 64), "/driver/payload_bytes", "remove payload_bytes"},
      {with(drain, "/driver/job/template", ""), "/driver/job/template", "1 byte to 1 MiB"},
      {without(w, "/driver/job/template"), "/driver/job/template", "required key 'template'"},
      {with(w, "/driver/job/template", "{job_id}"), "/driver/job/texts", "no {text_json}"},
      {without(w, "/driver/job/texts"), "/driver/job/template", "has no texts"},
      {with(w, "/driver/job/text", 1), "/driver/job/text", "did you mean 'texts'"},
      {with(w, "/driver/job/texts", json::object()), "/driver/job/texts", "exactly one of 'file'"},
      // queue_names
      {with(w, "/driver/queues", 2), "/driver/queue_names", "not both"},
      {with(w, "/driver/key_prefix", "p:"), "/driver/queue_names", "not both"},
      {with(w, "/driver/queue_names", json::array({"jobs", "jobs"})), "/driver/queue_names",
       "'jobs' is named twice"},
      {with(w, "/driver/queue_names", json::array({""})), "/driver/queue_names", "1 to 200 bytes"},
      {with(w, "/driver/queue_names", json::array({std::string(201, 'q')})), "/driver/queue_names",
       "1 to 200 bytes"},
      {with(w, "/driver/queue_names", json::array()), "/driver/queue_names", "1 to 1024 items"},
      {with(w, "/driver/queue_names", json::array({1})), "/driver/queue_names/0",
       "expected a string"},
      // the service it loads
      {with(w, "/driver/host", "127.0.0.1"), "/driver/redis", "not both"},
      {with(w, "/driver/port", "{port:redis}"), "/driver/redis", "not both"},
      {with(w, "/driver/redis", "rdis"), "/driver/redis", "did you mean 'redis'"},
      {with(w, "/driver/redis", "sut"), "/driver/redis", "there is no service 'sut'"},
      {without(w, "/services"), "/driver/redis", "there is no service 'redis'"},
      {with(w, "/driver/redis", 1), "/driver/redis", "expected a string"},
  };
  for (const auto& [scenario, path, message] : bad) expect_bad(scenario, path, message);

  // The Redis a driver loads must have a port memgate chose.
  json fixed = w;
  fixed["services"]["redis"] = json{{"command", {"redis-server", "--port", "6379"}}};
  fixed["sut"]["command"] = {"python3", "worker.py"};
  expect_bad(fixed, "/driver/redis", "the service 'redis' uses no {port:redis}");
  // The names of 1025 queues are too many.
  std::vector<std::string> names;
  for (int i = 0; i < 1025; ++i) names.push_back("q" + std::to_string(i));
  expect_bad(with(w, "/driver/queue_names", names), "/driver/queue_names", "1 to 1024 items");
}

TEST_CASE("gate rules of gated services") {
  json w = worker();
  w["phases"]["cooldown_s"] = 2;
  w["services"]["redis"]["gate"] = true;
  w["gate"] = json::parse(R"({
    "peak_bytes":    {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "plateau_bytes": {"max_increase_pct": 12},
    "latency_p99_ms": {"max_increase_pct": 50},
    "services.redis.peak_bytes": {"max_increase_pct": 25},
    "services.redis.growth_bytes_per_min": {"max_bytes_per_min": 2097152},
    "budgets": {"peak_bytes": 268435456, "services.redis.plateau_bytes": 134217728}
  })");
  const Scenario s = load(w);
  CHECK(s.role("redis")->gate);
  CHECK(rule_metrics(s.gate) == std::set<std::string>{"peak_bytes", "plateau_bytes",
                                                      "latency_p99_ms", "services.redis.peak_bytes",
                                                      "services.redis.plateau_bytes",
                                                      "services.redis.growth_bytes_per_min"});
  // Its own rule wins over the gate's: not copied over it.
  const GateRule* peak = find_rule(s.gate, "services.redis.peak_bytes");
  REQUIRE(peak);
  CHECK(peak->max_change_pct == 25);
  CHECK_FALSE(peak->min_change);
  CHECK(std::count_if(s.gate.rules.begin(), s.gate.rules.end(), [](const GateRule& r) {
          return r.metric == "services.redis.peak_bytes";
        }) == 1);
  // The gate's memory rule it does not name is copied to it; latency is the SUT's only.
  const GateRule* plateau = find_rule(s.gate, "services.redis.plateau_bytes");
  REQUIRE(plateau);
  CHECK(plateau->max_change_pct == 12);
  CHECK(find_rule(s.gate, "services.redis.growth_bytes_per_min")->min_change == 2097152);
  REQUIRE(s.gate.budgets.size() == 2);
  CHECK(s.gate.budgets[1].metric == "services.redis.plateau_bytes");
  CHECK(s.gate.budgets[1].limit == 134217728);

  // Refusals: an ungated or unknown service, a metric that is not memory, a rule's keys.
  const json ungated = with(w, "/services/redis/gate", false);
  const json ungated_rules = without(without(ungated, "/gate/budgets/services.redis.plateau_bytes"),
                                     "/gate/services.redis.growth_bytes_per_min");
  const std::vector<std::tuple<json, std::string, std::string>> bad = {
      {ungated, "/gate/budgets/services.redis.plateau_bytes", "the service 'redis' is not gated"},
      {ungated_rules, "/gate/services.redis.peak_bytes", "the service 'redis' is not gated"},
      {ungated_rules, "/gate/services.redis.peak_bytes", "set services.redis.gate to true"},
      {without(ungated_rules, "/services/redis/gate"), "/gate/services.redis.peak_bytes",
       "is not gated"},
      {with(w, "/gate/services.cache.peak_bytes", json{{"max_increase_pct", 5}}),
       "/gate/services.cache.peak_bytes", "there is no service 'cache'"},
      {with(w, "/gate/services.rdis.peak_bytes", json{{"max_increase_pct", 5}}),
       "/gate/services.rdis.peak_bytes", "did you mean services.redis.peak_bytes?"},
      {with(w, "/gate/services.sut.peak_bytes", json{{"max_increase_pct", 5}}),
       "/gate/services.sut.peak_bytes", "the SUT is not a service"},
      {with(w, "/gate/services.redis.throughput_per_s", json{{"max_decrease_pct", 5}}),
       "/gate/services.redis.throughput_per_s", "'throughput_per_s' is not a memory metric"},
      {with(w, "/gate/services.redis.latency_p99_ms", json{{"max_increase_pct", 5}}),
       "/gate/services.redis.latency_p99_ms", "a service is gated on its memory"},
      {with(w, "/gate/budgets/services.redis.throughput_per_s", 5),
       "/gate/budgets/services.redis.throughput_per_s", "is not a memory metric"},
      {with(w, "/gate/services.redis.peak", json{{"max_increase_pct", 5}}),
       "/gate/services.redis.peak", "memory metrics: idle_bytes, peak_bytes"},
      {with(w, "/gate/services.redis.peak_bytes", json::object()),
       "/gate/services.redis.peak_bytes", "needs 'max_increase_pct' and/or 'min_increase_bytes'"},
      {with(w, "/gate/services.redis.peak_bytes/max_increase_percent", 5),
       "/gate/services.redis.peak_bytes/max_increase_percent", "did you mean 'max_increase_pct'"},
      {with(w, "/gate/services.redis.peak_bytes/max_increase_pct", -1),
       "/gate/services.redis.peak_bytes/max_increase_pct", "from 0"},
      {with(w, "/gate/budgets/services.redis.peak_bytes", "1GB"),
       "/gate/budgets/services.redis.peak_bytes", "expected a number"},
      {with(w, "/gate/services.redis", json{{"max_increase_pct", 5}}), "/gate/services.redis",
       "unknown key 'services.redis'"},
      {with(without(w, "/phases/cooldown_s"), "/gate/services.redis.retained_bytes",
            json{{"max_increase_pct", 5}}),
       "/gate/services.redis.retained_bytes", "set phases.cooldown_s above 0"},
  };
  for (const auto& [scenario, path, message] : bad) expect_bad(scenario, path, message);
}

TEST_CASE("a gated service without rules of its own gets the gate's memory rules") {
  json w = worker();
  w["phases"]["cooldown_s"] = 2;
  w["services"]["redis"]["gate"] = true;
  w["services"]["cache"] = json{{"command", {"true"}}};  // not gated: no rules
  // The default gate of an ack-queue scenario in a closed model: the gated service gets a copy
  // of each of the SUT's memory rules, with the same thresholds, and nothing else.
  const Scenario defaults = load(w);
  std::set<std::string> copied;
  for (const auto& rule : defaults.gate.rules) {
    if (rule.metric.rfind("services.", 0) == 0) copied.insert(rule.metric);
  }
  CHECK(copied == std::set<std::string>{"services.redis.peak_bytes", "services.redis.plateau_bytes",
                                        "services.redis.residual_bytes",
                                        "services.redis.growth_bytes_per_min"});
  for (const auto& metric : copied) {
    INFO(metric);
    const GateRule* sut_rule =
        find_rule(defaults.gate, metric.substr(std::string("services.redis.").size()));
    REQUIRE(sut_rule);
    CHECK(find_rule(defaults.gate, metric)->max_change_pct == sut_rule->max_change_pct);
    CHECK(find_rule(defaults.gate, metric)->min_change == sut_rule->min_change);
  }
  CHECK(find_rule(defaults.gate, "throughput_per_s") != nullptr);  // the SUT's only
  // An explicit gate: only its memory rules are copied, to every gated service.
  json two = with(w, "/services/cache/gate", true);
  two["gate"] = json::parse(R"({"idle_bytes": {"min_increase_bytes": 1048576},
                                "latency_p50_ms": {"max_increase_pct": 30}})");
  const Scenario s = load(two);
  CHECK(rule_metrics(s.gate) == std::set<std::string>{"idle_bytes", "latency_p50_ms",
                                                      "services.cache.idle_bytes",
                                                      "services.redis.idle_bytes"});
  CHECK(find_rule(s.gate, "services.cache.idle_bytes")->min_change == 1048576);
  // Without a cool-down there is no residual memory to copy.
  const Scenario no_cooldown = load(without(w, "/phases/cooldown_s"));
  CHECK(find_rule(no_cooldown.gate, "services.redis.residual_bytes") == nullptr);
  CHECK(find_rule(no_cooldown.gate, "services.redis.peak_bytes") != nullptr);
}

TEST_CASE("gate rules of services survive the trip through report.json") {
  json w = worker();
  w["phases"]["cooldown_s"] = 2;
  w["services"]["redis"]["gate"] = true;
  w["services"]["cache"] = json{{"command", {"true"}}, {"gate", true}};
  w["gate"] = json::parse(R"({
    "peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "residual_bytes": {"max_increase_pct": 10},
    "services.redis.peak_bytes": {"min_increase_bytes": 1048576},
    "services.cache.growth_bytes_per_min": {"max_increase_pct": 5, "max_bytes_per_min": 65536},
    "budgets": {"services.redis.peak_bytes": 1e9, "latency_p99_ms": 20},
    "noise_mad_k": 2.5, "max_reruns": 1
  })");
  const GateSpec spec = load(w).gate;
  REQUIRE(rule_metrics(spec).count("services.cache.peak_bytes") == 1);  // copied
  const json document = gate_to_json(spec);
  CHECK(document.at("services.redis.peak_bytes") == json{{"min_increase_bytes", 1048576}});
  CHECK(document.at("services.cache.growth_bytes_per_min") ==
        json{{"max_increase_pct", 5}, {"max_bytes_per_min", 65536}});
  const GateSpec back = gate_from_json(document, "report.json", "/gate");
  CHECK(gate_to_json(back) == document);
  CHECK(back.noise_mad_k == 2.5);
  CHECK(back.max_reruns == 1);
  REQUIRE(back.rules.size() == spec.rules.size());
  for (const auto& rule : spec.rules) {
    INFO(rule.metric);
    const GateRule* read = find_rule(back, rule.metric);
    REQUIRE(read);
    CHECK(read->max_change_pct == rule.max_change_pct);
    CHECK(read->min_change == rule.min_change);
  }
  REQUIRE(back.budgets.size() == spec.budgets.size());
  for (std::size_t i = 0; i < spec.budgets.size(); ++i) {
    CHECK(back.budgets[i].metric == spec.budgets[i].metric);
    CHECK(back.budgets[i].limit == spec.budgets[i].limit);
  }
  // A report's rules are checked for their form, like a scenario's.
  try {
    gate_from_json(
        with(document, "/services.redis.throughput_per_s", json{{"max_decrease_pct", 5}}),
        "report.json", "/gate");
    FAIL("a service's throughput rule was read back");
  } catch (const InputError& e) {
    CHECK(e.file() == "report.json");
    CHECK(e.json_path() == "/gate/services.redis.throughput_per_s");
    CHECK_THAT(e.what(), Catch::Contains("is not a memory metric"));
  }
}
