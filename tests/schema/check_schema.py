#!/usr/bin/python3
"""Keeps scenarios/scenario.schema.json honest: the shipped scenarios and the valid examples pass
it and `memgate validate`; every invalid example fails both, for the same reason: memgate names
the JSON path listed for it in EXPECTED_PATHS, every schema error is at that path or above it, and
the schema's most relevant error is on that path's branch (a schema that refused the file for an
unrelated reason would not count).

tests/data/scenarios/memgate-only/ holds files that only memgate can refuse: they relate one value
to another (a service's name, a queue's, a file next to the scenario) in a way JSON Schema cannot
express, or hold a placeholder typo (memgate checks every string). The schema must accept them (an editor must not flag a file memgate would run) and
memgate must refuse them at their EXPECTED_PATHS path.

usage: check_schema.py SOURCE_DIR MEMGATE
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema
from jsonschema.exceptions import best_match

# Where memgate's error is, per invalid or memgate-only file (tests/data/scenarios/...): a JSON
# pointer, "" for the whole file. Every such file needs an entry.
EXPECTED_PATHS = {
    "invalid/bad-memory-kind.json": "/watch/memory",
    "invalid/bad-name.json": "/name",
    "invalid/command-not-array.json": "/sut/command",
    "invalid/gate-typo.json": "/gate/peak_bytes/max_increase_percent",
    "invalid/negative-duration.json": "/phases/idle_s",
    "invalid/pipeline-zero.json": "/driver/pipeline",
    "invalid/two-ready-probes.json": "/sut/ready",
    "invalid/unknown-key.json": "/reapeat",
    # services
    "invalid/service-name-uppercase.json": "/services/Cache",
    "invalid/service-named-sut.json": "/services/sut",
    "invalid/service-without-command.json": "/services/cache/command",
    "invalid/service-unknown-key.json": "/services/redis/gated",
    "invalid/service-gate-not-bool.json": "/services/redis/gate",
    "invalid/sut-gate.json": "/sut/gate",
    # ready lists
    "invalid/ready-empty-list.json": "/sut/ready",
    "invalid/ready-list-bad-probe.json": "/sut/ready/1",
    "invalid/ready-not-probe.json": "/services/redis/ready",
    # files
    "invalid/files-parent-destination.json": "/sut/files/..~1worker.ini",
    "invalid/files-absolute-destination.json": "/services/redis/files/~1etc~1redis.conf",
    "invalid/files-not-string.json": "/sut/files/worker.ini",
    # producer-only redis-queue
    "invalid/producer-without-completion.json": "/driver/completion",
    "invalid/producer-with-pop.json": "/driver/pop",
    "invalid/producer-with-consumer-rate.json": "/driver/consumer_rate_per_s",
    "invalid/consumers-with-completion.json": "/driver/completion",
    "invalid/completion-both.json": "/driver/completion",
    "invalid/completion-drain-false.json": "/driver/completion/drain",
    "invalid/ack-template-without-job-id.json": "/driver/job/template",
    "invalid/job-with-payload-bytes.json": "/driver/payload_bytes",
    "invalid/job-template-empty.json": "/driver/job/template",
    "invalid/job-texts-without-text-json.json": "/driver/job/texts",
    "invalid/job-text-json-without-texts.json": "/driver/job/template",
    "invalid/queue-names-with-queues.json": "/driver/queue_names",
    "invalid/queue-names-duplicate.json": "/driver/queue_names",
    "invalid/queue-names-empty-key.json": "/driver/queue_names",
    "invalid/redis-with-port.json": "/driver/redis",
    # gated services
    "invalid/gate-service-not-memory.json": "/gate/services.redis.throughput_per_s",
    "invalid/gate-service-budget-not-memory.json": "/gate/budgets/services.redis.latency_p99_ms",
    "invalid/gate-service-rule-typo.json": "/gate/services.redis.peak_bytes/max_increase_percent",
    "invalid/gate-service-named-sut.json": "/gate/services.sut.peak_bytes",
    "invalid/gate-service-residual-without-cooldown.json": "/gate/services.redis.residual_bytes",
    # what the driver cannot measure
    "invalid/drain-gate-latency.json": "/gate/budgets/latency_p99_ms",
    "invalid/open-model-throughput-rule.json": "/gate/throughput_per_s",
    # HTTP requests and answers
    "invalid/request-unknown-key.json": "/driver/request/verb",
    "invalid/request-header-host.json": "/driver/request/headers/Host",
    "invalid/response-status-not-number.json": "/driver/response/status/0",
    "invalid/response-pointer-no-slash.json": "/driver/response/count_pointer",
    "invalid/stdin-with-request.json": "/driver/request",
    # load commands
    "invalid/load-command-without-command.json": "/driver/command",
    "invalid/load-command-overrun-without-parser.json": "/driver/overrun_s",
    "invalid/load-command-throughput-without-parser.json": "/gate/throughput_per_s",
    "invalid/load-command-wrk-p95.json": "/gate/latency_p95_ms",
    "invalid/load-command-drain-unknown-key.json": "/driver/drain/queue",
    # sweeps and per-unit rules
    "invalid/sweep-one-value.json": "/sweep/values",
    "invalid/sweep-value-not-number.json": "/sweep/values/1",
    "invalid/per-unit-without-sweep.json": "/gate/per_unit.retained_bytes",
    "invalid/per-unit-rule-typo.json": "/gate/per_unit.retained_bytes/maximum",
    "invalid/per-unit-growth.json": "/gate/per_unit.growth_bytes_per_min",
    # only memgate can tell
    "memgate-only/load-command-ops-without-load-ops.json": "/driver/command/2",
    "memgate-only/load-command-ops-outside-command.json": "/sut/command/1",
    "memgate-only/load-command-benchmark-without-csv.json": "/driver/parser",
    "memgate-only/load-command-drain-unknown-service.json": "/driver/drain/redis",
    "memgate-only/load-command-remote-target.json": "/driver/command/2",
    "memgate-only/load-command-userinfo.json": "/driver/command/2",
    "memgate-only/load-command-shell.json": "/driver/command/1",
    "memgate-only/body-without-texts.json": "/driver/request/body",
    "memgate-only/body-two-placeholders.json": "/driver/request/body",
    "memgate-only/body-one-text-batch.json": "/driver/request/body",
    "memgate-only/env-outside-headers.json": "/sut/env/TOKEN",
    "memgate-only/header-twice.json": "/driver/request/headers/x-key",
    "memgate-only/stdin-probe-on-service.json": "/services/cache/ready",
    "memgate-only/gate-service-not-gated.json": "/gate/services.redis.peak_bytes",
    "memgate-only/redis-unknown-service.json": "/driver/redis",
    "memgate-only/redis-service-without-port.json": "/driver/redis",
    "memgate-only/port-name-typo.json": "/sut/command/2",
    "memgate-only/port-name-undeclared.json": "/sut/command/2",
    "memgate-only/port-declared-unused.json": "/ports/0",
    "memgate-only/texts-generate-too-large.json": "/driver/texts/generate",
    "memgate-only/ack-queue-is-job-queue.json": "/driver/completion/ack_queue",
    "memgate-only/files-missing-template.json": "/sut/files/worker.ini",
    "memgate-only/files-template-unknown-placeholder.json": "/sut/files/worker.ini",
    "memgate-only/files-template-port-typo.json": "/services/redis/files/redis.conf",
    "memgate-only/placeholder-port-malformed.json": "/sut/command/2",
    "memgate-only/placeholder-unknown.json": "/sut/command/2",
    "memgate-only/sweep-key-not-set.json": "/sweep/key",
    "memgate-only/sweep-value-invalid-for-key.json": "/sweep/values/1",
}


def pointer(path) -> str:
    """A jsonschema error path as a JSON pointer (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def at_or_above(schema_path: str, expected: str) -> bool:
    return expected == schema_path or expected.startswith(schema_path + "/")


def memgate_error_path(stderr: str, path: str):
    """The JSON path of memgate's first `error: FILE: [PATH: ]PROBLEM` line for path, or None."""
    prefix = f"error: {path}: "
    for line in stderr.splitlines():
        if line.startswith(prefix):
            rest = line[len(prefix):]
            return rest.split(": ", 1)[0] if rest.startswith("/") else ""
    return None


def main() -> int:
    source_dir, memgate = sys.argv[1], sys.argv[2]
    with open(os.path.join(source_dir, "scenarios", "scenario.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = os.path.join(source_dir, "tests", "data", "scenarios")
    shipped = [p for p in glob.glob(os.path.join(source_dir, "scenarios", "*.json"))
               if not p.endswith(".schema.json")]
    # The example scenarios `memgate init` writes for a team, one of each kind.
    examples_dir = tempfile.mkdtemp(prefix="check_schema.init.")
    examples = []
    for kind in ("command", "redis-worker", "http", "stdin"):
        folder = os.path.join(examples_dir, kind)
        subprocess.run([memgate, "init", "--dir", folder, "--kind", kind], check=True,
                       capture_output=True)
        examples.append(os.path.join(folder, "memgate", "scenarios", "example.json"))
    valid = shipped + glob.glob(os.path.join(data, "valid", "*.json")) + examples
    invalid = glob.glob(os.path.join(data, "invalid", "*.json"))
    memgate_only = glob.glob(os.path.join(data, "memgate-only", "*.json"))
    cases = ([(p, "valid") for p in sorted(valid)] + [(p, "invalid") for p in sorted(invalid)] +
             [(p, "memgate-only") for p in sorted(memgate_only)])
    failures = 0
    for path, kind in cases:
        with open(path) as f:
            errors = list(validator.iter_errors(json.load(f)))
        result = subprocess.run([memgate, "validate", path], capture_output=True, text=True)
        problems = []
        if kind == "valid":
            if errors:
                problems.append(f"schema refuses it at {pointer(errors[0].absolute_path) or '/'}")
            if result.returncode != 0:
                problems.append(f"memgate exit {result.returncode}")
        else:
            expected = EXPECTED_PATHS.get(os.path.relpath(path, data))
            if expected is None:
                problems.append("no entry in EXPECTED_PATHS")
                expected = ""
            if kind == "invalid" and not errors:
                problems.append("schema accepts it")
            if kind == "memgate-only" and errors:
                problems.append(f"schema refuses it at {pointer(errors[0].absolute_path) or '/'}"
                                " (it belongs in invalid/)")
            # No error elsewhere, and the most relevant one (inside oneOf branches) on the
            # same branch as memgate's: at, above or below its path.
            for e in errors:
                if not at_or_above(pointer(e.absolute_path), expected):
                    problems.append(f"schema error at {pointer(e.absolute_path) or '/'}, not at or "
                                    f"above {expected or '/'}: {e.message[:60]}")
            if errors:
                best = pointer(best_match(errors).absolute_path)
                if not (at_or_above(best, expected) or at_or_above(expected, best)):
                    problems.append(f"the schema's best error is at {best or '/'}, away from "
                                    f"{expected or '/'}")
            got = memgate_error_path(result.stderr, path)
            if result.returncode != 2:
                problems.append(f"memgate exit {result.returncode}, expected 2")
            elif got != expected:
                problems.append(f"memgate refuses it at {got!r}, expected {expected!r}")
        failures += bool(problems)
        detail = "; ".join(problems) if problems else \
            (f"schema: {errors[0].message[:60]}" if errors else "no schema error")
        print(f"{'FAIL' if problems else 'ok  '} {kind:12} {os.path.relpath(path, source_dir)}"
              f" ({detail}; memgate exit {result.returncode})")
    shutil.rmtree(examples_dir, ignore_errors=True)
    stale = set(EXPECTED_PATHS) - {os.path.relpath(p, data) for p in invalid + memgate_only}
    for name in sorted(stale):
        print(f"FAIL EXPECTED_PATHS names {name}, which does not exist")
    failures += len(stale)
    print(f"{len(cases) - (failures - len(stale))} of {len(cases)} files agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
