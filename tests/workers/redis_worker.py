#!/usr/bin/python3
"""A Redis work-queue worker, written the way teams write them: redis-py, a BRPOP loop, a little
work per job, an acknowledgement when the job is done, a warm shutdown on SIGTERM (the job in
flight is finished first). memgate's shipped worker scenarios gate it.

A job is JSON: {"id": "...", "text": "..."}. The work: the text's words are counted and hashed
(--work-ms adds CPU time per job). With --ack-queue the worker LPUSHes the job's id there when
the job is done; without, memgate sees jobs leave the queue (drain).

Knobs from outside the scenario, as a new release would change the worker:
  MG_WORKER_LEAK_BYTES_PER_JOB=B   keep B bytes per job forever (a leak)
  MG_WORKER_WORK_MS=T              spend T ms of CPU per job (a slower release)
At exit it prints "worker stopped after N jobs (SIGTERM received K time(s))".
"""

import argparse
import collections
import hashlib
import json
import os
import signal
import sys
import time

import redis


def burn_cpu(ms):
    """Spends ms of CPU time (not wall time: a busy machine does not change the work)."""
    if ms <= 0:
        return
    end = time.process_time() + ms / 1000.0
    x = 0
    while time.process_time() < end:
        for i in range(200):
            x = (x * 31 + i) % 1000003
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="127.0.0.1:6379", help="HOST:PORT")
    parser.add_argument("--queue", default="jobs")
    parser.add_argument("--ack-queue", default="", help="LPUSH each done job's id here")
    parser.add_argument("--work-ms", type=float,
                        default=float(os.environ.get("MG_WORKER_WORK_MS", "0")))
    parser.add_argument("--leak-bytes-per-job", type=int,
                        default=int(os.environ.get("MG_WORKER_LEAK_BYTES_PER_JOB", "0")))
    args = parser.parse_args()

    host, port = args.redis.rsplit(":", 1)
    client = redis.Redis(host=host, port=int(port))
    client.ping()

    state = {"stopping": False, "sigterms": 0}

    def on_sigterm(signum, frame):
        state["sigterms"] += 1
        state["stopping"] = True

    signal.signal(signal.SIGTERM, on_sigterm)
    vocabulary = collections.Counter()
    leaked = []
    done = 0
    print(f"worker ready on {args.redis}, queue {args.queue}", flush=True)
    while not state["stopping"]:
        item = client.brpop([args.queue], timeout=0.1)
        if item is None:
            continue
        job = json.loads(item[1])
        words = str(job.get("text", "")).lower().split()
        vocabulary.update(words)
        if len(vocabulary) > 50000:  # a bounded cache, as a real worker keeps
            vocabulary = collections.Counter(dict(vocabulary.most_common(25000)))
        hashlib.sha256(" ".join(words).encode()).hexdigest()
        burn_cpu(args.work_ms)
        if args.leak_bytes_per_job > 0:
            leaked.append(bytearray(b"x" * args.leak_bytes_per_job))
        if args.ack_queue:
            client.lpush(args.ack_queue, job["id"])
        done += 1
    print(f"worker stopped after {done} jobs (SIGTERM received {state['sigterms']} time(s))",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
