"""The merge: every rollup worker's finest cells → the city's group points, decided once.

Workers (partition.py) write their districts' finest cells and, after each pass, a
pass point naming the periods it touched. A merge pass waits until every partition has
completed a pass since the last merge (a dead worker holds the city's figures back
until its partition is taken over, rather than a part being published without it);
then it reads the touched periods' finest cells of every partition, adds them up into
the six groups (sites lie in one district each: totals, holder counts and set keys
add), and writes the private and public group points exactly as one rollup process
does: the same disclosure control over the whole city, with the versions published
before (computed on the whole registry, so its fingerprint is one process's). Live
minutes first, then hours, days (protected with their hours) and months.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.rollup.compute import Computer
from collector.rollup.partition import decode_touched, merged
from collector.rollup.source import WATERMARK, RawSource
from collector.rollup.writer import Writer
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    CONSUMPTION_1MO,
    JOB_MERGE,
    LIVE_1M,
    TAG_JOB,
    TAG_PARTITION,
)
from telemetry.lineproto import line

log = logging.getLogger("collector.rollup.merge")

ORDER = (LIVE_1M, CONSUMPTION_1H, CONSUMPTION_1D, CONSUMPTION_1MO)


@dataclass
class MergeReport:
    now_ms: int
    waiting: list[str] = field(default_factory=list)  # partitions without a new pass
    periods: int = 0
    private_points: int = 0
    public_points: int = 0


class Merge:
    def __init__(
        self,
        computer: Computer,
        source: RawSource,
        writer: Writer,
        partitions: list[str],
        max_catchup_ms: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.computer = computer
        self.source = source
        self.writer = writer
        self.partitions = sorted(partitions)
        self.max_catchup_ms = max_catchup_ms
        self.clock = clock
        self.cursors: dict[str, int] | None = None  # last pass merged, per partition

    def run_pass(self) -> MergeReport:
        now = self.computer.now_ms = int(self.clock() * 1000)
        since = now - self.max_catchup_ms
        if self.cursors is None:
            self.cursors = self.source.merge_cursors(since, now)
        latest: dict[str, int] = {}
        touched: dict[str, set[int]] = defaultdict(set)
        for part, at, text in self.source.partition_passes(since, now):
            if part in self.partitions and at > self.cursors.get(part, -1):
                latest[part] = max(at, latest.get(part, at))
                for measurement, periods in decode_touched(text).items():
                    touched[measurement] |= periods
        report = MergeReport(now, waiting=[p for p in self.partitions if p not in latest])
        if report.waiting:
            log.info("merge waits for partitions %s", report.waiting)
            return report
        self.computer.fingerprint()  # versions of another registry or rules bind nothing
        for measurement in ORDER:
            periods = sorted(touched.get(measurement, ()))
            if periods:
                self._merge(measurement, periods, report)
        marks = [
            line(WATERMARK, {TAG_JOB: JOB_MERGE, TAG_PARTITION: p}, {"until_ms": float(t)}, now)
            for p, t in sorted(latest.items())
        ]
        self.writer.mark(*marks)
        self.cursors.update(latest)
        return report

    def _merge(self, measurement: str, periods: list[int], report: MergeReport) -> None:
        cells = merged(self.source.partition_cells(measurement, periods, self.partitions))
        if measurement == LIVE_1M:
            out = self.computer.live_points(cells)
        else:
            out = self.computer.cell_points(measurement, cells)
        self.writer.store(out)
        report.periods += len(periods)
        report.private_points += len(out.private)
        report.public_points += len(out.public)
