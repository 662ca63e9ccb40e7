#!/usr/bin/env python3
"""A webhook receiver for the integration tests: verifies every delivery
with the independent `standardwebhooks` package (PyPI), answers with the
scripted statuses, and logs one JSON line per delivery.

usage: webhook_receiver.py SECRET LOG_FILE ANSWER[,ANSWER...] [PORT]
  ANSWER is an HTTP status (the last one repeats), or `redirect:URL`
  for a 302 to URL. Prints `listening on PORT` once ready.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

secret, log_file, answers = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
verifier = Webhook(secret)
count = 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            verifier.verify(body, headers)
            verified, error = True, None
        except WebhookVerificationError as failure:
            verified, error = False, str(failure)
        answer = answers[min(count, len(answers) - 1)]
        count += 1
        entry = {
            "received_at": time.time(),
            "webhook_id": headers.get("webhook-id"),
            "webhook_timestamp": headers.get("webhook-timestamp"),
            "signatures": headers.get("webhook-signature", "").split(" "),
            "verified": verified,
            "error": error,
            "answer": answer,
            "body": json.loads(body or b"null"),
        }
        with open(log_file, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        if answer.startswith("redirect:"):
            self.send_response(302)
            self.send_header("location", answer[len("redirect:"):])
        else:
            self.send_response(int(answer))
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()
