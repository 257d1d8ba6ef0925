"""The rollup loop: which window each pass recomputes, and the watermark.

Each pass recomputes consumption over [now - lookback, now) floored to the
hour and live minutes over [now - live_lookback, now), so late data within
them is picked up, and rewriting a point with the same measurement, tags and
timestamp overwrites it (idempotent). The watermark (end of the last
completed window, a point in the private bucket) lets a restarted rollup
catch up on everything since it stopped, live minutes included, in chunks,
up to max_catchup. When an agent reports an outbox backlog (a replayed
outbox: readings older than the lookback arriving now), that pass reaches
back far enough to cover it, for live minutes too. A `withheld` marker
(complementary suppression) of a group that this pass publishes is rewritten
as `published`, so the public bucket never holds both for one point.
Counter readings still pending under the continuity rule (telemetry/counters.py)
add nothing until the readings after them arrive; recomputing the lookback
each pass is what settles them (compute.py reads context around each window).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.rollup.aggregate import Output, stale_markers
from collector.rollup.compute import Computer
from collector.rollup.periods import hour_of, minute_of
from collector.rollup.sink import Sink
from collector.rollup.source import WATERMARK, PublicMarkers, RawSource
from telemetry.lineproto import line

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
        live_lookback_ms: int,
        max_catchup_ms: int,
        chunk_ms: int,
        clock: Callable[[], float] = time.time,
        markers: PublicMarkers | None = None,
    ) -> None:
        self.computer = computer
        self.source = source
        self.sink = sink
        self.buckets = buckets
        self.lookback_ms = lookback_ms
        self.live_lookback_ms = live_lookback_ms
        self.max_catchup_ms = max_catchup_ms
        self.chunk_ms = chunk_ms
        self.clock = clock
        self.markers = markers

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
        # Catching up (start before the usual lookback): live minutes from there too.
        behind = start < hour_of(now_ms - self.lookback_ms)
        live_from = start if behind else now_ms - min(self.live_lookback_ms, self.lookback_ms)
        while start < now_ms:
            end = min(start + self.chunk_ms, now_ms)
            self._window(start, end, minute_of(max(start, live_from)), report)
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

    def _window(self, start: int, end: int, live_from: int, report: PassReport) -> None:
        hourly = self.computer.hourly(start, end, live_from)
        self._store(hourly, report)
        self._store(self.computer.daily(start, end), report)
        report.unknown_sites += len(hourly.unknown_sites)
        if hourly.unknown_sites:
            log.warning(
                "readings of sites not in the registry skipped: %s", sorted(hourly.unknown_sites)
            )

    def _store(self, out: Output, report: PassReport) -> None:
        self.sink.write(self.buckets.private, out.private)
        self.sink.write(self.buckets.public, out.public + self._superseded(out))
        report.private_points += len(out.private)
        report.public_points += len(out.public)

    def _superseded(self, out: Output) -> list[str]:
        """Markers left by an earlier pass for points published now, rewritten."""
        if self.markers is None or not out.published:
            return []
        times = [key[-1] for key in out.published]
        found = self.markers.complementary(min(times), max(times) + 1)
        return stale_markers(found, out.published)

    def _mark(self, until_ms: int, now_ms: int) -> None:
        # The current minute may still grow: the next pass starts no later than it.
        until = min(minute_of(until_ms), minute_of(now_ms))
        point = line(WATERMARK, {"job": "rollup"}, {"until_ms": float(until)}, now_ms)
        self.sink.write(self.buckets.private, [point])
