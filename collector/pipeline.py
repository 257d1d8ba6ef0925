"""The writer thread: validate, batch, write, then acknowledge.

A batch closes when it holds `batch_size` readings or its first message has
waited `flush_interval` seconds. Readings go out at ms precision; rejected
records at ns precision with a per-process strictly increasing timestamp, so
two rejections in the same millisecond never overwrite each other (they share
the tag set `reason`). Only after every write of a batch has succeeded are its
messages acknowledged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from collector import metrics as m
from collector.influx_writer import InfluxWriter, RefusedLine
from collector.lineproto import line
from collector.reasons import Reason
from collector.seqtrack import SeqTracker
from collector.stats import Stats
from collector.validate import Validator
from collector.verdict import Accepted, Delivery, Rejected
from telemetry import influx_schema as s

log = logging.getLogger(__name__)

PAYLOAD_KEEP_BYTES = 1024
DETAIL_KEEP_CHARS = 500


@dataclass
class _Batch:
    lines_ms: list[str] = field(default_factory=list)
    lines_ns: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    readings: int = 0
    reading_ts_ms: list[int] = field(default_factory=list)
    opened: float = 0.0

    def empty(self) -> bool:
        return not (self.deliveries or self.lines_ms or self.lines_ns)


class Pipeline:
    def __init__(
        self,
        inbox: queue.Queue[Delivery | None],
        validator: Validator,
        writer: InfluxWriter,
        ack: Callable[[Delivery], None],
        stats: Stats,
        batch_size: int,
        flush_interval: float,
        stats_interval: float,
    ) -> None:
        self.inbox = inbox
        self.validator = validator
        self.writer = writer
        self.ack = ack
        self.stats = stats
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.stats_interval = stats_interval
        self.seq = SeqTracker()
        self.abort = threading.Event()  # set when shutdown may no longer wait for InfluxDB
        self.finished = threading.Event()
        self._batch = _Batch()
        self._last_ns = 0
        self._next_stats = time.monotonic() + stats_interval

    # --- loop -----------------------------------------------------------------
    def run(self) -> None:
        """Until a None arrives in the inbox; then flush what is left."""
        try:
            while True:
                try:
                    d = self.inbox.get(timeout=self._wait_s())
                except queue.Empty:
                    d = _TICK
                if d is None:
                    break
                if d is not _TICK:
                    self._take(d)
                self._maybe_stats()
                if self._due():
                    self.flush()
            self._add_stats_line()
            self.flush()
        finally:
            self.finished.set()

    def _wait_s(self) -> float:
        now = time.monotonic()
        until = self._next_stats
        if not self._batch.empty():
            until = min(until, self._batch.opened + self.flush_interval)
        return max(0.0, until - now)

    def _due(self) -> bool:
        b = self._batch
        if b.empty():
            return False
        return b.readings >= self.batch_size or time.monotonic() - b.opened >= self.flush_interval

    # --- one message ---------------------------------------------------------
    def _take(self, d: Delivery) -> None:
        if self._batch.empty():
            self._batch.opened = time.monotonic()
        kind = "status" if d.topic.endswith("/status") else "readings"
        m.MESSAGES.labels(kind).inc()
        self.stats.messages += 1
        try:
            verdict = self.validator.check(d)
        except Exception as exc:  # a bug must not turn one message into an outage
            log.exception("validator failed on %s", d.topic)
            verdict = Rejected(Reason.SCHEMA, f"unexpected error: {type(exc).__name__}: {exc}")
        if isinstance(verdict, Rejected):
            self._reject(d.topic, verdict.reason, verdict.detail, d.payload)
        else:
            self._accept(verdict)
        self._batch.deliveries.append(d)

    def _accept(self, a: Accepted) -> None:
        b = self._batch
        b.lines_ms.extend(a.lines)
        b.readings += a.readings
        b.reading_ts_ms.extend(a.reading_ts_ms)
        m.READINGS.inc(a.readings)
        self.stats.readings += a.readings
        if a.seq is not None:
            ev = self.seq.observe(f"{a.site}/{a.agent}", a.seq)
            if ev.gaps:
                m.SEQ_GAPS.inc(ev.gaps)
                self.stats.seq_gaps += ev.gaps
            if ev.duplicate:
                m.SEQ_DUPLICATES.inc()
                self.stats.seq_duplicates += 1

    def _reject(self, topic: str, reason: Reason, detail: str, payload: bytes) -> None:
        m.REJECTED.labels(reason.value).inc()
        self.stats.rejected += 1
        log.warning("rejected %s: %s: %s", topic, reason.value, detail[:200])
        fields = {
            "topic": topic[:256],
            "detail": detail[:DETAIL_KEEP_CHARS],
            "payload": payload[:PAYLOAD_KEEP_BYTES].decode("utf-8", "backslashreplace"),
            "size": len(payload),
            "count": 1,
        }
        tags = {s.TAG_REASON: reason.value}
        self._batch.lines_ns.append(line(s.REJECTED, tags, fields, self._unique_ns()))

    def _unique_ns(self) -> int:
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return self._last_ns

    # --- stats ----------------------------------------------------------------
    def _maybe_stats(self) -> None:
        if time.monotonic() >= self._next_stats:
            self._add_stats_line()

    def _add_stats_line(self) -> None:
        if self._batch.empty():
            self._batch.opened = time.monotonic()
        self._batch.lines_ms.append(self.stats.line())
        self._next_stats = time.monotonic() + self.stats_interval

    # --- write and ack -------------------------------------------------------
    def flush(self) -> None:
        b, self._batch = self._batch, _Batch()
        if b.empty():
            return
        refused = self.writer.write(b.lines_ms, "ms", self.abort) if b.lines_ms else []
        for r in refused:
            self._set_aside(r)
        ns_lines = b.lines_ns + self._batch.lines_ns
        self._batch.lines_ns = []
        if ns_lines:
            for r in self.writer.write(ns_lines, "ns", self.abort):
                log.error("InfluxDB refused a rejected-store line, dropped: %s", r.error)
        written = b.readings - sum(1 for r in refused if not r.line.startswith(_META))
        done = time.time()
        self._observe_lag(b.reading_ts_ms, done)
        m.WRITTEN.inc(max(written, 0))
        self.stats.written += max(written, 0)
        for d in b.deliveries:
            self.ack(d)

    def _set_aside(self, r: RefusedLine) -> None:
        self._reject("(influxdb)", Reason.INFLUX_REJECTED, r.error, r.line.encode())

    def _observe_lag(self, ts_ms: list[int], done: float) -> None:
        for t in ts_ms:
            lag = max(0.0, done - t / 1000)
            m.LAG.observe(lag)
            self.stats.add_lag(lag)


_TICK = object()
_META = (s.COLLECTOR_STATS, s.AGENT_STATUS)
