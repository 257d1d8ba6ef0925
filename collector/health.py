"""A tiny HTTP health endpoint: /healthz (alive) and /readyz (connected and writing)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Probe = Callable[[], tuple[bool, dict[str, Any]]]


def serve_health(port: int, live: Probe, ready: Probe) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            probe = {"/healthz": live, "/readyz": ready}.get(self.path)
            if probe is None:
                self.send_error(404, "try /healthz or /readyz")
                return
            ok, detail = probe()
            body = json.dumps({"ok": ok, **detail}).encode()
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:  # probes every few seconds: keep logs quiet
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
