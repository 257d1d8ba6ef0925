"""Real local receivers for delivery tests: an HTTP webhook endpoint and an SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class WebhookLog:
    secret: str
    fail_first: int = 0  # answer 503 to this many requests, then 200
    always_fail: bool = False
    requests: int = 0
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # by idempotency key
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # While cleared, requests hang (a stuck receiver); set by default.
    open_gate: threading.Event = field(default_factory=lambda: _set(threading.Event()))
    arrived: threading.Event = field(default_factory=threading.Event)


class WebhookReceiver:
    """A tiny http.server on a free port that checks signatures and drops repeated keys."""

    def __init__(self, log: WebhookLog) -> None:
        self.log = log
        handler = type("Handler", (_Handler,), {"log": log})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alerts"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    log: WebhookLog

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        log = self.log
        log.arrived.set()
        log.open_gate.wait(timeout=60)
        with log.lock:
            log.requests += 1
            if log.always_fail or log.requests <= log.fail_first:
                self._answer(503)
                return
            want = "sha256=" + hmac.new(log.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, self.headers.get("X-Energy-Signature", "")):
                log.bad_signatures += 1
                self._answer(401)
                return
            log.accepted.setdefault(self.headers["Idempotency-Key"], json.loads(body))
        self._answer(200)

    def _answer(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:  # keep the test output clean
        pass


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event
