#!/usr/bin/env python3
"""A small real text service on Python's standard http.server, for memgate's tests.

A POST (to any path) takes {"texts": [...]} (or, with --openai, {"model": ..., "input": [...]}) and answers
one vector per text: {"vectors": [...]} (or {"data": [{"embedding": [...]}, ...]}).

  --port N          listen on 127.0.0.1:N (prints "http-text-service listening on 127.0.0.1:N")
  --http11          speak HTTP/1.1 with keep-alive (default: HTTP/1.0, one request a connection,
                    as http.server does out of the box)
  --close-every N   HTTP/1.1: after every N-th response, close the connection without saying so
                    (no "Connection: close"), as a server ending an idle keep-alive connection does
  --chunked         HTTP/1.1: send the body with Transfer-Encoding: chunked, in small chunks
  --wrong-count K   answer K vectors fewer than texts were sent
  --stop-listening-after N
                    after N answers, close the listening socket and stay alive: new connections
                    are refused (a service that lost its listener)
  --token-env NAME  require "Authorization: Bearer <value of $NAME>"; 401 otherwise, quoting the
                    header received (as careless servers do: memgate must mask it in its report)
  --log-requests    print each request's Authorization header (as a careless service logs)
  --exit-after N    after N requests, exit with status 3 (a service that dies mid-load)
"""

import argparse
import http.server
import json
import os
import sys
import threading
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--http11", action="store_true")
    p.add_argument("--close-every", type=int, default=0)
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--openai", action="store_true")
    p.add_argument("--wrong-count", type=int, default=0)
    p.add_argument("--token-env", default="")
    p.add_argument("--stop-listening-after", type=int, default=0)
    p.add_argument("--log-requests", action="store_true")
    p.add_argument("--exit-after", type=int, default=0)
    return p.parse_args()


ARGS = parse_args()
TOKEN = os.environ[ARGS.token_env] if ARGS.token_env else None
RESPONSES = 0
RESPONSES_LOCK = threading.Lock()  # ThreadingHTTPServer: a thread per connection


def vector(text):
    h = sum(text.encode()) % 1000
    return [round((h + i) / 1000.0, 3) for i in range(8)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1" if ARGS.http11 else "HTTP/1.0"
    disable_nagle_algorithm = ARGS.http11  # headers and body go out in two writes

    def log_message(self, *args):
        pass  # quiet: one line a request would flood the log

    def answer(self, status, body):
        global RESPONSES
        with RESPONSES_LOCK:
            RESPONSES += 1
            number = RESPONSES
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if ARGS.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 100):
                piece = data[start:start + 100]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        if ARGS.close_every and number % ARGS.close_every == 0:
            self.close_connection = True
        if number == ARGS.stop_listening_after:
            threading.Thread(target=self.server.shutdown).start()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if ARGS.log_requests:
            print("POST", self.path, "Authorization:", self.headers.get("Authorization", ""),
                  flush=True)
        if ARGS.exit_after:
            with RESPONSES_LOCK:
                if RESPONSES + 1 >= ARGS.exit_after:
                    print("http-text-service: exiting after", ARGS.exit_after, "requests",
                          file=sys.stderr, flush=True)
                    os._exit(3)
        if TOKEN is not None and self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.answer(401, {"error": "missing or wrong bearer token",
                                     "got": self.headers.get("Authorization", "")})
        try:
            request = json.loads(body)
            texts = request["input"] if ARGS.openai else request["texts"]
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": "expected a JSON object with the texts"})
        vectors = [vector(t) for t in texts][:max(0, len(texts) - ARGS.wrong_count)]
        if ARGS.openai:
            return self.answer(200, {"object": "list", "data": [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]})
        return self.answer(200, {"vectors": vectors})


server = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
print(f"http-text-service listening on 127.0.0.1:{ARGS.port}", file=sys.stderr, flush=True)
try:
    server.serve_forever()
    if ARGS.stop_listening_after:
        server.server_close()
        print("http-text-service stopped listening", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
except KeyboardInterrupt:
    pass
