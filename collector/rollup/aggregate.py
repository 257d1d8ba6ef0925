"""Per-meter values → per-group points, split into private, public and suppressed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from influxdb_client import Point

from collector.rollup.groups import Group, Holders, SiteInfo, is_public
from telemetry.influx_schema import SUPPRESSED, TAG_UTILITY

CellKey = tuple[str, int, Group]  # (utility, period start ms, group)


@dataclass
class Cell:
    total: float = 0.0
    holders: Holders = field(default_factory=Holders)


@dataclass
class Output:
    private: list[Point] = field(default_factory=list)
    public: list[Point] = field(default_factory=list)
    unknown_sites: set[str] = field(default_factory=set)

    def extend(self, other: Output) -> None:
        self.private.extend(other.private)
        self.public.extend(other.public)
        self.unknown_sites |= other.unknown_sites


def aggregate(
    items: Iterable[tuple[str, str, int, float]], sites: dict[str, SiteInfo]
) -> tuple[dict[CellKey, Cell], set[str]]:
    """Sum one value per meter and period into every group of the meter's site.

    items: (utility, site, period start ms, value), one per meter and period.
    Sites the registry does not know are left out and returned.
    """
    cells: dict[CellKey, Cell] = {}
    unknown: set[str] = set()
    for utility, site, ts, value in items:
        info = sites.get(site)
        if info is None:
            unknown.add(site)
            continue
        for group in info.groups():
            cell = cells.setdefault((utility, ts, group), Cell())
            cell.total += value
            cell.holders.add(info)
    return cells, unknown


def group_points(
    measurement: str,
    cells: dict[CellKey, Cell],
    k: int,
    value_fields: Callable[[str, float], dict[str, float]],
) -> Output:
    """One point per cell in private; in public only if the group passes the rule."""
    out = Output()
    for (utility, ts, group), cell in sorted(cells.items()):
        point = Point(measurement).tag(TAG_UTILITY, utility)
        for name, value in group.tags().items():
            point = point.tag(name, value)
        for name, value in value_fields(utility, cell.total).items():
            point = point.field(name, float(value))
        point = (
            point.field("meters", int(cell.holders.meters))
            .field("sites", len(cell.holders.sites))
            .field("households", int(cell.holders.households))
            .time(ts, write_precision="ms")
        )
        out.private.append(point)
        if is_public(cell.holders, k):
            out.public.append(point)
        else:
            out.private.append(_suppressed(measurement, utility, ts, group, cell.holders, k))
    return out


def _suppressed(
    measurement: str, utility: str, ts: int, group: Group, holders: Holders, k: int
) -> Point:
    point = Point(SUPPRESSED).tag("measurement", measurement).tag(TAG_UTILITY, utility)
    for name, value in group.tags().items():
        point = point.tag(name, value)
    return (
        point.field("holders", int(holders.count)).field("k", int(k)).time(ts, write_precision="ms")
    )
