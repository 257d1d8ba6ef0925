"""Where a pass's points go: private (by retention policy) and public, markers after."""

from __future__ import annotations

from dataclasses import dataclass

from collector.rollup.aggregate import Output, stale_markers
from collector.rollup.sink import Sink
from collector.rollup.source import PublicMarkers
from telemetry.influx_schema import kept_as_rollup


@dataclass
class Buckets:
    private: str  # the raw database's default policy: live_1m
    public: str
    rollups: str  # the private rollups' policy (telemetry.influx_schema.ROLLUP_RP)

    def private_split(self, points: list[str]) -> list[tuple[str, list[str]]]:
        """Private points by where they are kept: rollups long, the rest with the raw data."""
        kept = [p for p in points if kept_as_rollup(p)]
        rest = [p for p in points if not kept_as_rollup(p)]
        return [(self.rollups, kept), (self.private, rest)]


class Writer:
    """Stores a pass's points; shared by the rollup engine and the merge (merge.py)."""

    def __init__(self, sink: Sink, buckets: Buckets, markers: PublicMarkers | None) -> None:
        self.sink = sink
        self.buckets = buckets
        self.markers = markers

    def store(self, out: Output) -> None:
        self.private(out.private)
        self.sink.write(self.buckets.public, out.public + self._superseded(out))

    def private(self, points: list[str]) -> None:
        for bucket, part in self.buckets.private_split(points):
            if part:
                self.sink.write(bucket, part)

    def mark(self, *points: str) -> None:
        """Cursors or watermarks: written only after everything before them is stored."""
        self.sink.flush()
        self.private(list(points))
        self.sink.flush()

    def _superseded(self, out: Output) -> list[str]:
        """Markers left by an earlier pass for points published now, rewritten."""
        if self.markers is None or not out.published:
            return []
        times = [key[-1] for key in out.published]
        found = self.markers.complementary(min(times), max(times) + 1)
        return stale_markers(found, out.published)
