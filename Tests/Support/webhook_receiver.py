#!/usr/bin/env python3
"""A webhook receiver for the integration tests: checks every POST with the Standard Webhooks
reference implementation (the `standardwebhooks` package) and answers with planned statuses.

  python webhook_receiver.py --secret-file FILE --log FILE [--port N] [--plan 500,500,200]
                             [--delay SECONDS] [--tls-cert FILE --tls-key FILE]

Listens on 127.0.0.1 (port N, or one the kernel picks) and prints the port as the first line of
stdout once it accepts connections. For each request it appends one JSON line to --log:
  {"n": 1, "method": "POST", "path": "/hooks", "id": ..., "timestamp": ..., "type": ...,
   "signature": ..., "expected_signature": ..., "verified": true, "error": null,
   "status": 200, "received": 1700000000.123, "body": "..."}
`expected_signature` is what the reference implementation computes for the id, timestamp and
body received; `verified` is whether Webhook.verify accepted the request (which also checks the
timestamp is within 5 minutes). The line is written before the answer is sent.

--plan lists the answers in order; after the last one, 200 forever. An entry is a status code,
`redirect` (302 to /elsewhere) or `close` (drop the connection without answering).
--delay sleeps that many seconds before answering each request (to test timeouts).
--tls-cert and --tls-key serve https with that certificate (e.g. a self-signed one, which a
client that verifies certificates must refuse).
"""

import argparse
import json
import signal
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--plan", default="")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    options = parser.parse_args()

    with open(options.secret_file, encoding="utf-8") as file:
        secret = file.readline().strip()
    webhook = Webhook(secret)
    plan = [entry.strip() for entry in options.plan.split(",") if entry.strip()]
    lock = threading.Lock()
    counter = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.handle_request()

        def do_GET(self):
            self.handle_request()

        def handle_request(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            received = time.time()
            headers = {name.lower(): value for name, value in self.headers.items()}
            entry = {
                "method": self.command,
                "path": self.path,
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "signature": headers.get("webhook-signature"),
                "user_agent": headers.get("user-agent"),
                "content_type": headers.get("content-type"),
                "received": received,
                "body": body.decode("utf-8", errors="replace"),
            }
            try:
                entry["type"] = json.loads(body).get("type")
            except Exception:
                entry["type"] = None
            try:
                stamp = datetime.fromtimestamp(int(entry["timestamp"]), tz=timezone.utc)
                entry["expected_signature"] = webhook.sign(entry["id"], stamp, body)
            except Exception:
                entry["expected_signature"] = None
            try:
                webhook.verify(body, headers)
                entry["verified"], entry["error"] = True, None
            except Exception as error:
                entry["verified"], entry["error"] = False, f"{type(error).__name__}: {error}"

            with lock:
                counter["n"] += 1
                entry["n"] = counter["n"]
                answer = plan[entry["n"] - 1] if entry["n"] <= len(plan) else "200"
                entry["status"] = 302 if answer == "redirect" else (0 if answer == "close" else int(answer))
                with open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")

            if options.delay > 0:
                time.sleep(options.delay)
            try:
                if answer == "close":
                    self.close_connection = True
                    return
                self.send_response(entry["status"])
                if answer == "redirect":
                    self.send_header("location", f"http://127.0.0.1:{self.server.server_address[1]}/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format, *args):
            sys.stderr.write("webhook_receiver: " + (format % args) + "\n")

    # SIGTERM ends it even when started with SIGTERM blocked or ignored, as Foundation's Process
    # may leave it (the spawning thread's signal mask is inherited).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    # socketserver's listen backlog of 5 overflows when 8 queue threads connect at once: the
    # kernel drops the extra SYNs and the client retries after a second.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
