"""Validate and batch (one thread), write and acknowledge (another).

A batch closes when it holds `batch_size` readings or its first message has
waited `flush_interval` seconds. The write thread posts it while the next batch
is being validated, so InfluxDB's time and ours overlap; at most two closed
batches wait, then validation waits too, the inbox fills up to the broker's
Receive Maximum and the broker stops sending.

Readings go out at ms precision; rejected records at ns precision with a
per-process strictly increasing timestamp, so two rejections in the same
millisecond never overwrite each other (they share the tag set `reason`).
After a batch's readings are stored, one arrival marker per site
(collector/arrivals.py, ns, same unique clock) tells the rollup what arrived.
A batch's messages are acknowledged only after all of its writes succeeded,
in order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from collector import metrics as m
from collector import receipts
from collector.agent_stats import AgentStats
from collector.arrivals import Arrivals
from collector.influx_writer import InfluxWriter, WriteAborted
from collector.reasons import Reason
from collector.receipts import PendingReceipt
from collector.seqtrack import SeqTracker
from collector.stats import Stats
from collector.validate import Validator
from collector.verdict import Accepted, Delivery, Rejected
from telemetry import influx_schema as s
from telemetry.lineproto import line

log = logging.getLogger(__name__)

PAYLOAD_KEEP_BYTES = 1024
DETAIL_KEEP_CHARS = 500
CLOSED_BATCHES = 2


@dataclass
class _Batch:
    lines_ms: list[str] = field(default_factory=list)
    lines_ns: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    readings: int = 0
    reading_ts_ms: list[int] = field(default_factory=list)
    arrivals: Arrivals = field(default_factory=Arrivals)
    receipts: list[PendingReceipt] = field(default_factory=list)
    opened: float = 0.0

    def empty(self) -> bool:
        return not (self.deliveries or self.lines_ms or self.lines_ns)


class _UniqueNs:
    """Strictly increasing ns timestamps for rejected records (shared by both threads)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self._last = max(time.time_ns(), self._last + 1)
            return self._last


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
        respond: Callable[[Delivery, bytes], None] | None = None,
    ) -> None:
        self.inbox = inbox
        self.validator = validator
        self.writer = writer
        self.ack = ack
        self.respond = respond
        self.stats = stats
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.stats_interval = stats_interval
        self.seq = SeqTracker()
        self.agents = AgentStats(stats.instance)
        self.abort = threading.Event()  # set when shutdown may no longer wait for InfluxDB
        self._closed: queue.Queue[_Batch | None] = queue.Queue(maxsize=CLOSED_BATCHES)
        self._batch = _Batch()
        self._unique_ns = _UniqueNs()
        self._next_stats = time.monotonic() + stats_interval
        self._write_error: BaseException | None = None

    # --- validation thread ----------------------------------------------------
    def run(self) -> None:
        """Until a None arrives in the inbox; then flush what is left. Raises WriteAborted."""
        writer = threading.Thread(target=self._write_loop, name="influx-write", daemon=True)
        writer.start()
        try:
            while writer.is_alive():
                try:
                    d = self.inbox.get(timeout=self._wait_s())
                except queue.Empty:
                    d = _TICK
                if d is None:
                    break
                if isinstance(d, Delivery):
                    self._take(d)
                if time.monotonic() >= self._next_stats:
                    self._add_stats_line()
                if self._due():
                    self._close_batch(writer)
            self._add_stats_line()
            self._close_batch(writer)
            self._put(None, writer)
        finally:
            writer.join()
        if self._write_error is not None:
            raise self._write_error

    def _wait_s(self) -> float:
        until = self._next_stats
        if not self._batch.empty():
            until = min(until, self._batch.opened + self.flush_interval)
        return max(0.0, until - time.monotonic())

    def _due(self) -> bool:
        b = self._batch
        if b.empty():
            return False
        return b.readings >= self.batch_size or time.monotonic() - b.opened >= self.flush_interval

    def _close_batch(self, writer: threading.Thread) -> None:
        b, self._batch = self._batch, _Batch()
        if not b.empty():
            self._put(b, writer)

    def _put(self, item: _Batch | None, writer: threading.Thread) -> None:
        # Blocks while two batches wait (back-pressure), unless the writer died.
        while writer.is_alive():
            try:
                self._closed.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _take(self, d: Delivery) -> None:
        if self._batch.empty():
            self._batch.opened = time.monotonic()
        kind = "status" if d.topic.endswith("/status") else "readings"
        m.MESSAGES.labels(kind).inc()
        self.stats.add(messages=1)
        try:
            verdict = self.validator.check(d)
        except Exception as exc:  # a bug must not turn one message into an outage
            log.exception("validator failed on %s", d.topic)
            verdict = Rejected(Reason.SCHEMA, f"unexpected error: {type(exc).__name__}: {exc}")
        if isinstance(verdict, Accepted):
            self._accept(verdict)
        # A message may be refused whole, or only the readings of new meters past
        # their site's limit (the others are stored): both are recorded.
        refused = verdict if isinstance(verdict, Rejected) else verdict.refused
        if refused is not None:
            self._batch.lines_ns.append(
                self._rejected_line(d.topic, refused.reason, refused.detail, d.payload)
            )
            named = self.validator.agent_of(d.topic)
            if named is not None:
                self.agents.rejected(named, refused.reason.value)
        self._count_meter_limit(verdict)
        receipt = receipts.pending(d, verdict) if self.respond else None
        if receipt is not None:
            self._batch.receipts.append(receipt)
        self._batch.deliveries.append(d)

    def _count_meter_limit(self, verdict: Accepted | Rejected) -> None:
        if isinstance(verdict, Accepted):
            admitted, refused = verdict.new_meters, verdict.refused_readings
        elif verdict.reason is Reason.UNKNOWN_METER_LIMIT:
            admitted, refused = 0, verdict.readings
        else:
            return
        if admitted:
            m.METERS_ADMITTED.inc(admitted)
            self.stats.add(meters_admitted=admitted)
        if refused:
            m.METER_READINGS_REFUSED.inc(refused)
            self.stats.add(meter_readings_refused=refused)

    def _accept(self, a: Accepted) -> None:
        b = self._batch
        b.lines_ms.extend(a.lines)
        b.readings += a.readings
        b.reading_ts_ms.extend(a.reading_ts_ms)
        b.arrivals.add(a.site, a.reading_ts_ms, a.handed)
        m.READINGS.inc(a.readings)
        self.stats.add(readings=a.readings)
        if a.seq is not None:
            ev = self.seq.observe(f"{a.site}/{a.agent}", a.seq)
            if ev.gaps:
                m.SEQ_GAPS.inc(ev.gaps)
                self.stats.add(seq_gaps=ev.gaps)
                self.agents.gaps((a.site, a.agent), ev.gaps)
            if ev.duplicate:
                m.SEQ_DUPLICATES.inc()
                self.stats.add(seq_duplicates=1)
            if ev.reset:
                m.SEQ_RESETS.inc()
                self.stats.add(seq_resets=1)

    def _rejected_line(self, topic: str, reason: Reason, detail: str, payload: bytes) -> str:
        m.REJECTED.labels(reason.value).inc()
        self.stats.add(rejected=1)
        log.warning("rejected %s: %s: %s", topic, reason.value, detail[:200])
        fields = {
            "topic": topic[:256],
            "detail": detail[:DETAIL_KEEP_CHARS],
            "payload": payload[:PAYLOAD_KEEP_BYTES].decode("utf-8", "backslashreplace"),
            "size": len(payload),
            "count": 1,
        }
        return line(s.REJECTED, {s.TAG_REASON: reason.value}, fields, self._unique_ns())

    def _add_stats_line(self) -> None:
        if self._batch.empty():
            self._batch.opened = time.monotonic()
        now = time.time()
        self._batch.lines_ms.append(self.stats.line(now))
        self._batch.lines_ms.extend(self.agents.lines(round(now * 1000)))
        self._next_stats = time.monotonic() + self.stats_interval

    # --- write thread -----------------------------------------------------------
    def _write_loop(self) -> None:
        try:
            while (b := self._closed.get()) is not None:
                self._write(b)
        except WriteAborted as exc:
            self._write_error = exc
        except BaseException as exc:
            log.exception("write thread failed")
            self._write_error = exc

    def _write(self, b: _Batch) -> None:
        refused = self.writer.write(b.lines_ms, "ms", self.abort) if b.lines_ms else []
        ns_lines = b.lines_ns + [
            self._rejected_line(
                "(influxdb)", receipts.write_reason(r.error), r.error, r.line.encode()
            )
            for r in refused
        ]
        if refused:  # the markers hand over only readings known to be stored
            b.arrivals.drop_handed()
        # Stamped now, after the readings are stored: the rollup's arrival order.
        stamps = [self._unique_ns() for _ in b.arrivals.sites]
        ns_lines += b.arrivals.lines(self.stats.instance, stamps)
        if ns_lines:
            for r in self.writer.write(ns_lines, "ns", self.abort):
                log.error("InfluxDB refused a rejected-store line, dropped: %s", r.error)
        refused_readings = sum(1 for r in refused if not r.line.startswith(_META))
        written = max(0, b.readings - refused_readings)
        self._observe_lag(b.reading_ts_ms, time.time())
        m.WRITTEN.inc(written)
        self.stats.add(written=written)
        self._answer(b.receipts, {r.line: r.error for r in refused})
        for d in b.deliveries:
            self.ack(d)

    def _answer(self, pending: list[PendingReceipt], refused: dict[str, str]) -> None:
        if self.respond is None:
            return
        for p in pending:
            self.respond(p.delivery, p.finish(refused))

    def _observe_lag(self, ts_ms: list[int], done: float) -> None:
        pairs = [(max(0.0, done - t / 1000), n) for t, n in Counter(ts_ms).items()]
        m.LAG.observe_many(pairs)
        self.stats.add_lags(pairs)


_TICK = object()
_META = (s.COLLECTOR_STATS, s.COLLECTOR_AGENT_STATS, s.AGENT_STATUS)
