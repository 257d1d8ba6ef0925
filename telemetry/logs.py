"""Structured logs for every component: one JSON object per line on stderr.

Text from the wire (meter ids, field names, topics) may hold line breaks or
control characters. Serialised as JSON, they stay inside their record, so a
payload can never forge or split a log line. Records name the component, and
any `extra={...}` fields (meter, seq, reason) become keys of their own.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
# JSON escapes C0 controls; these other characters end a line for some readers
# (Python's str.splitlines, editors), so they are escaped too.
_LINE_ENDS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x7f\x85\u2028\u2029"})


class JsonFormatter(logging.Formatter):
    def __init__(self, component: str, **static: str) -> None:
        super().__init__()
        self.static = {"component": component, **static}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            **self.static,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False).translate(_LINE_ENDS)


def setup_logging(component: str, level: int = logging.INFO, **static: str) -> None:
    """Send every logger's records (libraries' too) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(component, **static))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO (each InfluxQL query): noise, not news.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    # Tracebacks and warnings would otherwise reach stderr as raw text lines.
    logging.captureWarnings(True)
    log = logging.getLogger(component)
    sys.excepthook = lambda kind, exc, tb: log.critical("uncaught", exc_info=(kind, exc, tb))
    threading.excepthook = lambda a: log.critical(
        "uncaught in thread %s",
        a.thread.name if a.thread else "?",
        exc_info=(a.exc_type, a.exc_value, a.exc_traceback),  # type: ignore[arg-type]
    )
