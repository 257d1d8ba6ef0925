"""The rollup loop: which window each pass recomputes, and the watermark.

Each pass recomputes [now - lookback, now) floored to the hour, so late data
within the lookback (a replayed outbox) is picked up, and rewriting a point
with the same measurement, tags and timestamp overwrites it (idempotent). The
watermark (end of the last completed window, a point in the private bucket)
lets a restarted rollup catch up on everything since it stopped, in chunks,
up to max_catchup. When an agent reports an outbox backlog older than the
lookback, that pass reaches back far enough to cover it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from influxdb_client import Point

from collector.rollup.aggregate import Output
from collector.rollup.compute import Computer
from collector.rollup.periods import hour_of, minute_of
from collector.rollup.sink import Sink
from collector.rollup.source import WATERMARK, RawSource

log = logging.getLogger("collector.rollup")


@dataclass
class PassReport:
    start_ms: int
    end_ms: int
    private_points: int = 0
    public_points: int = 0
    unknown_sites: int = 0


@dataclass
class Buckets:
    private: str
    public: str


class Engine:
    def __init__(
        self,
        computer: Computer,
        source: RawSource,
        sink: Sink,
        buckets: Buckets,
        lookback_ms: int,
        max_catchup_ms: int,
        chunk_ms: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.computer = computer
        self.source = source
        self.sink = sink
        self.buckets = buckets
        self.lookback_ms = lookback_ms
        self.max_catchup_ms = max_catchup_ms
        self.chunk_ms = chunk_ms
        self.clock = clock

    def plan(self, now_ms: int) -> int:
        """Where this pass starts (an hour boundary)."""
        oldest = now_ms - self.max_catchup_ms
        start = now_ms - self.lookback_ms
        mark = self.source.watermark(oldest, now_ms)
        if mark is not None:
            start = min(start, mark)
        backlog_ms = int(self.source.outbox_backlog_s(now_ms - self.lookback_ms, now_ms) * 1000)
        start = min(start, now_ms - backlog_ms - 60_000 if backlog_ms else start)
        return hour_of(max(start, oldest))

    def run_pass(self) -> PassReport:
        """Recompute from plan() to now in chunks; the watermark advances after each."""
        now_ms = int(self.clock() * 1000)
        start = self.plan(now_ms)
        report = PassReport(start, now_ms)
        while start < now_ms:
            end = min(start + self.chunk_ms, now_ms)
            self._window(start, end, report)
            self._mark(end, now_ms)
            start = end
        log.info(
            "rollup %s..%s: %d private, %d public points",
            report.start_ms,
            now_ms,
            report.private_points,
            report.public_points,
        )
        return report

    def _window(self, start: int, end: int, report: PassReport) -> None:
        hourly = self.computer.hourly(start, end)
        self._store(hourly, report)
        self._store(self.computer.daily(start, end), report)
        report.unknown_sites += len(hourly.unknown_sites)
        if hourly.unknown_sites:
            log.warning(
                "readings of sites not in the registry skipped: %s", sorted(hourly.unknown_sites)
            )

    def _store(self, out: Output, report: PassReport) -> None:
        self.sink.write(self.buckets.private, out.private)
        self.sink.write(self.buckets.public, out.public)
        report.private_points += len(out.private)
        report.public_points += len(out.public)

    def _mark(self, until_ms: int, now_ms: int) -> None:
        # The current minute may still grow: the next pass starts no later than it.
        until = min(minute_of(until_ms), minute_of(now_ms))
        point = Point(WATERMARK).tag("job", "rollup").field("until_ms", float(until))
        self.sink.write(self.buckets.private, [point.time(now_ms, write_precision="ms")])
