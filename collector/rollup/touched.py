"""What a regular pass recomputes: the sites and times that new readings touched.

The collectors write an arrival marker per site and stored batch
(collector/arrivals.py). A pass reads the markers stored since the arrival
cursor of its last pass, less a slack (a marker written while InfluxDB was
slow becomes visible after its own timestamp), and leaves out those it has
already taken (by collector instance and arrival time). Each touched site is
recomputed from the hour of its oldest new reading to now; live minutes only
where new readings fall. So a pass costs what arrived since the last one
(plus each touched meter's context readings), not meters × lookback, and an
outbox replayed hours late lands in the hours of its readings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from collector.rollup.periods import MINUTE_MS, hour_of, minute_of
from collector.rollup.source import Arrival

SEEN_KEEP_NS = 3_600 * 10**9  # markers remembered this long after their arrival time


@dataclass
class Touched:
    sites: dict[str, tuple[int, int]] = field(default_factory=dict)  # site → (t0, t1) ms
    markers: int = 0
    # Per marker taken: (site, newest reading, the readings it carried) (handed.py).
    handed: list[tuple[str, int, str | None]] = field(default_factory=list)

    def add(self, a: Arrival) -> None:
        t0, t1 = self.sites.get(a.site, (a.t0_ms, a.t1_ms))
        self.sites[a.site] = (min(t0, a.t0_ms), max(t1, a.t1_ms))
        self.markers += 1
        self.handed.append((a.site, a.t1_ms, a.stored))

    def windows(self, oldest_ms: int) -> list[tuple[int, list[str]]]:
        """(start hour, sites) per distinct start: each site from its oldest new reading."""
        by_start: dict[int, list[str]] = defaultdict(list)
        for site, (t0, _t1) in self.sites.items():
            by_start[hour_of(max(t0, oldest_ms))].append(site)
        return sorted((start, sorted(sites)) for start, sites in by_start.items())

    def minute_spans(self, oldest_ms: int, end_ms: int) -> list[tuple[int, int]]:
        """Minutes holding new readings, merged into [start, end) spans."""
        spans = sorted(
            (minute_of(max(t0, oldest_ms)), min(minute_of(t1) + MINUTE_MS, end_ms))
            for t0, t1 in self.sites.values()
        )
        out: list[tuple[int, int]] = []
        for start, end in spans:
            if start >= end:
                continue
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out


class ArrivalLog:
    """Which markers this process already took (markers may become visible late)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], None] = {}

    def take(self, arrivals: list[Arrival]) -> Touched:
        touched = Touched()
        for a in arrivals:
            key = (a.instance, a.at_ns)
            if key not in self._seen:
                self._seen[key] = None
                touched.add(a)
        return touched

    @property
    def taken(self) -> dict[tuple[str, int], None]:
        """The markers taken (kept with the meter states: snapshot.py)."""
        return self._seen

    def restore(self, taken: dict[tuple[str, int], None]) -> None:
        self._seen = dict(taken)

    def forget_before(self, ns: int) -> None:
        self._seen = {k: None for k in self._seen if k[1] >= ns}
