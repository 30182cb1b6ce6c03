#include "cli/init_templates.hpp"

#include <fmt/format.h>

#include <map>

namespace memgate::cli {

namespace {

// memgate.json: the example's program is the SUT of both sides of a pull request's A/B.
std::string project_file(const std::string& program) {
  return fmt::format(R"json({{
  "$comment": ["memgate's project file (man memgate; the README's 'Use memgate in your project').",
               "Paths are relative to this file. 'build' is your build command (make build, say),",
               "run in both trees of a pull request's A/B; 'ab.sut_program' is your SUT's program."],
  "scenarios": ["memgate/scenarios/*.json"],
  "baselines": "memgate/baselines",
  "reports": "memgate/reports",
  "history": "memgate/reports/history.jsonl",
  "defaults": {{"watch": {{"interval_ms": 50}}}},
  "build": ["true"],
  "ab": {{"base": "origin/main", "sut_program": {{"sut.command.0": "{}"}}}}
}}
)json",
                     program);
}

constexpr const char* kJobProgram = R"(#!/usr/bin/env sh
# The example job of memgate/scenarios/example.json: it holds a 64 MiB buffer for a moment.
# Replace it (and sut.command there) with your own job: a test suite, an import, a build step.
exec dd if=/dev/zero of=/dev/null bs=64M count=8 status=none
)";

constexpr const char* kJobScenario = R"json({
  "$comment": ["An example of kind 'command': memgate runs the command to its end, watching every",
               "process it starts, and gates its peak memory against memgate/baselines/example.json.",
               "The peak may grow by 10% and 4 MiB beyond the baseline's noise, and never past",
               "256 MiB. Make the baseline on the machine class that gates (memgate baseline),",
               "then gate with memgate check (make memgate)."],
  "name": "example",
  "description": "An example job that holds 64 MiB: replace sut.command with your own job",
  "sut": {"command": ["{scenario_dir}/../example/job.sh"]},
  "watch": {"interval_ms": 20},
  "phases": {"load_timeout_s": 60},
  "driver": {"type": "command"},
  "repeat": 3,
  "gate": {
    "peak_bytes": {"max_increase_pct": 10, "min_increase_bytes": 4194304},
    "budgets": {"peak_bytes": 268435456}
  }
}
)json";

constexpr const char* kWorkerProgram = R"(#!/usr/bin/python3
"""The example worker of memgate/scenarios/example.json: it takes JSON jobs off a Redis list
(BRPOP) and counts their words. Replace it with your own worker (and sut.command there)."""
import json
import signal
import sys

import redis

host, port = sys.argv[1].rsplit(":", 1)
client = redis.Redis(host=host, port=int(port))
client.ping()
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
print("worker ready", flush=True)
while not stopping:
    item = client.brpop("jobs", timeout=1)
    if item:
        job = json.loads(item[1])
        len(job["text"].split())
)";

constexpr const char* kWorkerScenario = R"json({
  "$comment": ["An example of kind 'redis-worker': memgate starts a Redis server and your worker,",
               "pushes jobs onto the worker's queue at a fixed rate, counts a job done when it has",
               "left the queue (drain), and gates the worker's memory, throughput and CPU per job."],
  "name": "example",
  "description": "An example Redis worker: replace sut.command with your own worker",
  "services": {
    "redis": {"command": ["redis-server", "--port", "{port:redis}", "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no"],
              "ready": {"tcp": "127.0.0.1:{port:redis}", "timeout_s": 10}}
  },
  "sut": {"command": ["{scenario_dir}/../example/worker.py", "127.0.0.1:{port:redis}"],
          "ready": {"log": "worker ready", "timeout_s": 20}},
  "phases": {"idle_s": 2, "warmup_s": 2, "load_s": 10, "cooldown_s": 3},
  "driver": {"type": "redis-queue", "redis": "redis", "queue_names": ["jobs"],
             "producers": 1, "consumers": 0, "pipeline": 8, "rate_per_s": 500,
             "job": {"template": "{\"id\":\"{job_id}\",\"text\":{text_json}}",
                     "texts": {"generate": {"count": 2000, "max_words": 40}}},
             "completion": {"drain": true}},
  "repeat": 3
}
)json";

constexpr const char* kServiceProgram = R"(#!/usr/bin/python3
"""The example text service of memgate/scenarios/example.json: POST {"texts": [...]} answers one
vector per text. Replace it with your own service (and sut.command there)."""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        texts = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["texts"]
        body = json.dumps({"vectors": [[len(t) % 97, len(t.split())] for t in texts]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("listening on", sys.argv[1], flush=True)
server.serve_forever()
)";

constexpr const char* kServiceScenario = R"json({
  "$comment": ["An example of kind 'http': memgate starts your service on a free loopback port,",
               "sends batches of texts over HTTP, checks each answer holds one entry per text,",
               "and gates the service's memory, throughput, latency and CPU per text."],
  "name": "example",
  "description": "An example HTTP text service: replace sut.command with your own service",
  "sut": {"command": ["{scenario_dir}/../example/service.py", "{port}"],
          "ready": {"log": "listening on", "timeout_s": 20}},
  "phases": {"idle_s": 2, "warmup_s": 2, "load_s": 10, "cooldown_s": 3},
  "driver": {"type": "text-batch", "url": "http://127.0.0.1:{port}/embed",
             "response": {"status": [200], "count_pointer": "/vectors"},
             "batch_size": 16, "concurrency": 2, "rate_per_s": 100,
             "texts": {"generate": {"count": 2000, "max_words": 40}}},
  "repeat": 3
}
)json";

constexpr const char* kFilterProgram = R"(#!/usr/bin/env sh
# The example filter of memgate/scenarios/example.json: one line out per line in. Replace it with
# your own program (and sut.command there): it must answer each line with one line, unbuffered.
exec cat
)";

constexpr const char* kFilterScenario = R"json({
  "$comment": ["An example of kind 'stdin': memgate writes batches of texts to your program's",
               "stdin, one per line, reads one line back per text, and gates the program's memory,",
               "throughput and CPU per text."],
  "name": "example",
  "description": "An example stdin filter: replace sut.command with your own program",
  "sut": {"command": ["{scenario_dir}/../example/filter.sh"]},
  "phases": {"idle_s": 1, "warmup_s": 1, "load_s": 5, "cooldown_s": 2},
  "driver": {"type": "text-batch", "transport": "stdin", "batch_size": 16, "rate_per_s": 200,
             "texts": {"generate": {"count": 2000, "max_words": 40}}},
  "repeat": 3
}
)json";

std::string workflow(const std::string& action) {
  return fmt::format(
      R"(# memgate, the memory gate of this repository (`memgate init` wrote this file).
# Nightly and by hand: `memgate check` of the project's scenarios (memgate.json) against the
# committed baselines (memgate/baselines, made on this machine class: run `memgate baseline` in
# the same container). Pull requests: the same memory check, and timing judged A/B on this runner:
# the base branch and the pull request built side by side (memgate.json: build, ab), `memgate ab`.
name: memgate

on:
  pull_request: {{}}
  schedule:
    - cron: "23 2 * * *"
  workflow_dispatch: {{}}

permissions:
  contents: read
  checks: write

defaults:
  run:
    shell: bash

jobs:
  memgate:
    runs-on: ubuntu-latest
    container: debian:12
    timeout-minutes: 60
    steps:
      - name: Tools the checkout needs
        run: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y git ca-certificates curl

      # fetch-depth 0: a pull request's base commit is built beside it.
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0

      - name: Gate memory (and on pull requests, timing A/B against the base)
        uses: {}
        with:
          mode: ${{{{ github.event_name == 'pull_request' && 'ab' || 'check' }}}}
          base: ${{{{ github.event_name == 'pull_request' && format('origin/{{0}}', github.base_ref) || '' }}}}
)",
      action);
}

struct Kind {
  std::string program_name;  // under memgate/example/
  const char* program;
  const char* scenario;
  const char* needs;
};

const std::map<std::string, Kind>& kinds() {
  static const std::map<std::string, Kind> kKinds = {
      {"command", {"job.sh", kJobProgram, kJobScenario, ""}},
      {"redis-worker",
       {"worker.py", kWorkerProgram, kWorkerScenario, "redis-server python3-redis"}},
      {"http", {"service.py", kServiceProgram, kServiceScenario, "python3"}},
      {"stdin", {"filter.sh", kFilterProgram, kFilterScenario, ""}},
  };
  return kKinds;
}

}  // namespace

const std::vector<std::string>& init_kinds() {
  static const std::vector<std::string> kNames = {"command", "redis-worker", "http", "stdin"};
  return kNames;
}

std::vector<InitFile> init_files(const std::string& kind, const std::string& action) {
  const Kind& k = kinds().at(kind);
  const std::string program = "memgate/example/" + k.program_name;
  return {
      {"memgate.json", project_file(program), false},
      {"memgate/scenarios/example.json", k.scenario, false},
      {program, k.program, true},
      {"memgate/baselines/.gitkeep", "", false},
      {".github/workflows/memgate.yml", workflow(action), false},
  };
}

std::string init_makefile_lines() {
  return R"(
# memgate, the memory gate of this project (memgate.json; `memgate init` wrote these lines).
.PHONY: memgate memgate-baselines
memgate:
	memgate check
memgate-baselines:
	memgate baseline
)";
}

std::string init_needs(const std::string& kind) {
  return kinds().at(kind).needs;
}

}  // namespace memgate::cli
