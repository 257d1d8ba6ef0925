"""Per-meter values → per-group points, split into private, public and suppressed.

A group withheld only by complementary suppression (it passes the privacy
rule itself) also gets a `withheld` marker in the public bucket: tags and
timestamp of the withheld point, `reason` = "complementary", no figures, so
that readers can tell it from a group without data. Groups below k get no
marker: they stay entirely out of the public bucket. When a later pass
publishes a group after all, the engine rewrites its marker with `reason` =
"published" (see `stale_markers`), so a marker never contradicts a figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from collector.rollup.complementary import publishable
from collector.rollup.groups import Group, Holders, SiteInfo
from collector.rollup.periods import hour_of
from telemetry.influx_schema import (
    CONSUMPTION_1MO,
    FIELD_APPORTIONED,
    GROUP_TAGS,
    LIVE_1M,
    SUPPRESSED,
    TAG_MEASUREMENT,
    TAG_UTILITY,
    WITHHELD,
    WITHHELD_COMPLEMENTARY,
    WITHHELD_PUBLISHED,
)
from telemetry.lineproto import line

CellKey = tuple[str, int, Group]  # (utility, period start ms, group)
PointKey = tuple[str, str, str, str, str, int]  # (measurement, *GROUP_TAGS values, ts ms)


@dataclass
class Cell:
    total: float = 0.0
    holders: Holders = field(default_factory=Holders)
    apportioned: int = 0  # meters whose figure was apportioned across months

    def add(
        self, info: SiteInfo, value: float, meters: int, new_site: bool, apportioned: int = 0
    ) -> None:
        """A site's value (or a change of it) and meters new to the cell."""
        self.total += value
        self.holders.meters += meters
        self.apportioned += apportioned
        if new_site:
            self.holders.add_site(info)

    def remove(self, info: SiteInfo, value: float, meters: int, apportioned: int) -> None:
        """Take back a holder's whole contribution (a household whose figures changed)."""
        self.total -= value
        self.holders.meters -= meters
        self.apportioned -= apportioned
        self.holders.add_site(info, -1)


@dataclass
class Output:
    private: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    unknown_sites: set[str] = field(default_factory=set)
    published: set[PointKey] = field(default_factory=set)  # group points in `public`

    def extend(self, other: Output) -> None:
        self.private.extend(other.private)
        self.public.extend(other.public)
        self.published |= other.published
        self.unknown_sites |= other.unknown_sites


def aggregate(
    items: Iterable[tuple[str, str, int, float, int]], sites: dict[str, SiteInfo]
) -> tuple[dict[CellKey, Cell], set[str]]:
    """Sum values per site and period into every group of the site.

    items: (utility, site, period start ms, value, meters behind the value);
    a site may come in several items (one per meter).
    Sites the registry does not know are left out and returned.
    """
    per_site: dict[tuple[str, int, str], list[float]] = {}
    unknown: set[str] = set()
    for utility, site, ts, value, meters in items:
        if site not in sites:
            unknown.add(site)
            continue
        acc = per_site.setdefault((utility, ts, site), [0.0, 0])
        acc[0] += value
        acc[1] += meters
    cells: dict[CellKey, Cell] = {}
    for (utility, ts, site), (total, meters) in per_site.items():
        info = sites[site]
        for group in info.groups():
            cell = cells.setdefault((utility, ts, group), Cell())
            cell.add(info, total, int(meters), new_site=True)
    return cells, unknown


def group_points(
    measurement: str,
    cells: dict[CellKey, Cell],
    k: int,
    value_fields: Callable[[str, float], dict[str, float]],
) -> Output:
    """One point per cell in private; in public only if the group passes the rule."""
    out = Output()
    held: set[tuple[str, int, Group]] = set()
    slices: dict[tuple[str, int], dict[Group, Holders]] = defaultdict(dict)
    for (utility, ts, group), cell in cells.items():
        slices[(utility, ts)][group] = cell.holders
    decided = {key: publishable(groups, k) for key, groups in slices.items()}
    for (utility, ts, group), cell in sorted(cells.items()):
        tags = {TAG_UTILITY: utility, **group.tags()}
        fields: dict[str, float | int] = {
            name: float(value) for name, value in value_fields(utility, cell.total).items()
        }
        fields.update(
            meters=int(cell.holders.meters),
            sites=int(cell.holders.sites),
            households=int(cell.holders.households),
        )
        if measurement == CONSUMPTION_1MO:
            fields[FIELD_APPORTIONED] = int(cell.apportioned)
        point = line(measurement, tags, fields, ts)
        out.private.append(point)
        public, extra = decided[(utility, ts)]
        if group in public:
            out.public.append(point)
            out.published.add(point_key(measurement, tags, ts))
            continue
        if group in extra:
            out.public.append(withheld_marker(measurement, tags, ts))
        if (utility, suppressed_at(measurement, ts), group) not in held:
            # Held back per hour at most: the reason (too few holders) rarely changes faster.
            at = suppressed_at(measurement, ts)
            held.add((utility, at, group))
            out.private.append(_suppressed(measurement, tags, at, cell.holders, k, group in extra))
    return out


def suppressed_at(measurement: str, ts: int) -> int:
    """live_1m's suppressions are recorded per hour; the others at their own period."""
    return hour_of(ts) if measurement == LIVE_1M else ts


def point_key(measurement: str, tags: dict[str, str], ts: int) -> PointKey:
    u, d, n, b = (tags[t] for t in GROUP_TAGS)
    return (measurement, u, d, n, b, int(ts))


def stale_markers(markers: Iterable[PointKey], published: set[PointKey]) -> list[str]:
    """Markers of groups now published: rewritten (same series and time) as `published`."""
    out = []
    for key in sorted(set(markers) & published):
        measurement, *values, ts = key
        tags = dict(zip(GROUP_TAGS, values, strict=True))
        out.append(
            line(
                WITHHELD, {TAG_MEASUREMENT: measurement, **tags}, {"reason": WITHHELD_PUBLISHED}, ts
            )
        )
    return out


def withheld_marker(measurement: str, tags: dict[str, str], ts: int) -> str:
    """The public marker of a group withheld by complementary suppression: no figures."""
    return line(
        WITHHELD, {TAG_MEASUREMENT: measurement, **tags}, {"reason": WITHHELD_COMPLEMENTARY}, ts
    )


def _suppressed(
    measurement: str, tags: dict[str, str], ts: int, holders: Holders, k: int, complementary: bool
) -> str:
    return line(
        SUPPRESSED,
        {TAG_MEASUREMENT: measurement, **tags},
        {"holders": int(holders.count), "k": int(k), "complementary": int(complementary)},
        ts,
    )
