#!/usr/bin/python3
"""A team's own load script, as memgate's load-command driver runs it: it enqueues --jobs jobs for
the worker of tests/workers/redis_worker.py through redis-py (one LPUSH each, timed), then prints
what it did as its last line, in the form of memgate's json-line parser:
  {"ops": N, "errors": E, "latency_ms": {"p50": .., "p99": .., "max": ..}}
--hold-mib M keeps M MiB touched while it works (a load generator's own memory, which must not
count as the SUT's); --fail-after K exits with status 3 after K jobs, saying why on stderr.
--rq enqueues through RQ's Queue.enqueue instead (Debian's python3-rq): jobs of rq_tasks.py for a
real `rq worker`, which raw LPUSHes could not feed.
"""

import argparse
import json
import sys
import time

import redis


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", required=True, help="HOST:PORT")
    parser.add_argument("--queue", default="jobs")
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--hold-mib", type=int, default=0)
    parser.add_argument("--fail-after", type=int, default=-1)
    parser.add_argument("--rq", action="store_true", help="enqueue with rq's Queue.enqueue")
    args = parser.parse_args()

    held = bytearray(args.hold_mib << 20)
    for i in range(0, len(held), 4096):  # touched: resident, not only reserved
        held[i] = 1
    host, port = args.redis.rsplit(":", 1)
    client = redis.Redis(host=host, port=int(port))
    if args.rq:
        import rq
        queue = rq.Queue(args.queue, connection=client)
    latencies_ms = []
    errors = 0
    for n in range(args.jobs):
        if n == args.fail_after:
            print(f"enqueue_jobs: giving up after {n} jobs: the queue is full", file=sys.stderr,
                  flush=True)
            return 3
        text = f"job number {n} of {args.jobs}"
        job = json.dumps({"id": f"job-{n}", "text": text})
        start = time.perf_counter()
        try:
            if args.rq:
                queue.enqueue("rq_tasks.count_words", text)
            else:
                client.lpush(args.queue, job)
        except redis.RedisError:
            errors += 1
            continue
        latencies_ms.append((time.perf_counter() - start) * 1000)
    latencies_ms.sort()
    print(f"enqueued {len(latencies_ms)} jobs on {args.queue} ({len(held) >> 20} MiB held)")
    print(json.dumps({"ops": len(latencies_ms), "errors": errors,
                      "latency_ms": {"p50": percentile(latencies_ms, 50),
                                     "p99": percentile(latencies_ms, 99),
                                     "max": latencies_ms[-1] if latencies_ms else 0.0}}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
