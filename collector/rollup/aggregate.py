"""Per-meter values → per-group points, split into private, public and suppressed.

Which groups of a period are published is decided by the shared disclosure control
(`disclosure.py`, telemetry.disclosure): k holders, the dominance rule, and secondary
suppression checked by the linear-programming audit over the period's whole hierarchy.
A group withheld with k or more holders (one holder dominates it, or it protects
another group) gets a `withheld` marker in the public bucket: tags and timestamp of the
withheld point, `reason` = "dominated" or "complementary", no figures, so that readers
can tell it from a group without data and say why. Groups below k get no marker: they
stay entirely out of the public bucket. When a later pass publishes a group after all,
the engine rewrites its marker with `reason` = "published" (see `stale_markers`), so a
marker never contradicts a figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from collector.rollup.complementary import publishable as complementary_publishable
from collector.rollup.disclosure import (
    Facts,
    Patterns,
    Version,
    contributions,
    decide,
    unchanged,
)
from collector.rollup.groups import Group, Holders, SiteInfo, coarser
from collector.rollup.periods import DAY_MS, HOUR_MS, MINUTE_MS, hour_of
from telemetry.disclosure import DisclosureRules, Reason
from telemetry.influx_schema import (
    CONSUMPTION_1D,
    CONSUMPTION_1H,
    CONSUMPTION_1MO,
    DISCLOSURE_PUBLISHED,
    FIELD_APPORTIONED,
    FIELD_BASIS,
    FIELD_DECIDED,
    FIELD_DISCLOSURE,
    FIELD_HOLDERS,
    FIELD_REVISED,
    FIELD_REVISION_WITHHELD,
    FIELD_SIMULATED_SITES,
    FIELD_TOP,
    GROUP_TAGS,
    LIVE_1M,
    SUPPRESSED,
    TAG_MEASUREMENT,
    TAG_UTILITY,
    WITHHELD,
    WITHHELD_COMPLEMENTARY,
    WITHHELD_DOMINATED,
    WITHHELD_PUBLISHED,
)
from telemetry.lineproto import line
from telemetry.months import next_month

CellKey = tuple[str, int, Group]  # (utility, period start ms, group)
PointKey = tuple[str, str, str, str, str, int]  # (measurement, *GROUP_TAGS values, ts ms)


@dataclass
class Cell:
    total: float = 0.0
    holders: Holders = field(default_factory=Holders)
    apportioned: int = 0  # meters whose figure was apportioned across months
    top: tuple[float, ...] = ()  # largest contributions per holder (set before deciding)

    def add(
        self, info: SiteInfo, value: float, meters: int, new_site: bool, apportioned: int = 0
    ) -> None:
        """A site's value (or a change of it) and meters new to the cell."""
        self.total += value
        self.holders.meters += meters
        self.apportioned += apportioned
        if new_site:
            self.holders.add_site(info)

    def merge(self, other: Cell) -> None:
        """Another cell's holders (disjoint from this one's) added in."""
        self.total += other.total
        self.holders.merge(other.holders)
        self.apportioned += other.apportioned
        self.top = contributions((v, 0) for v in self.top + other.top)

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


FINEST = 2  # SiteInfo.groups()[FINEST]: (district, dong, building type)


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
    # Each site into its finest group (district, dong, building type); the five coarser
    # groups of a site are sums of finest ones: each finest cell is merged into them
    # once, instead of every site into six groups (a third of a steady pass's CPU).
    finest: dict[CellKey, Cell] = {}
    shares: dict[CellKey, list[tuple[float, int]]] = defaultdict(list)
    for (utility, ts, site), (total, meters) in per_site.items():
        info = sites[site]
        key = (utility, ts, info.groups()[FINEST])  # groups.py: the site's finest group
        finest.setdefault(key, Cell()).add(info, total, int(meters), new_site=True)
        shares[key].append((total, info.households))
    for key, cell in finest.items():
        cell.top = contributions(shares[key])
    return with_coarser(finest), unknown


def with_coarser(finest: dict[CellKey, Cell]) -> dict[CellKey, Cell]:
    """Finest cells, each followed by the five coarser groups it is summed into (one
    process's live minutes, and the merge of the rollup workers' cells)."""
    cells: dict[CellKey, Cell] = {}
    for key, cell in finest.items():
        cells[key] = cell
        utility, ts, group = key
        for up in coarser(group):
            cells.setdefault((utility, ts, up), Cell()).merge(cell)
    return cells


def rules_of(k: int | DisclosureRules) -> DisclosureRules:
    return k if isinstance(k, DisclosureRules) else DisclosureRules(k=k)


def decide_cells(
    cells: dict[CellKey, Cell],
    rules: DisclosureRules,
    patterns: Patterns | None = None,
    measurement: str = "",
    now_ms: int = 0,
    revised: dict[CellKey, bool] | None = None,
) -> tuple[set[CellKey], dict[CellKey, Reason]]:
    """Each period's groups protected together (one system per utility and period),
    starting from the period's pattern of the pass before when there is one, and
    jointly with the version that pass published (disclosure.revised: no cell it
    withheld can be read off the two versions). revised: filled with the cells published
    before whose figures changed since, each with whether that version was decided
    after the period ended (a revision, not a period still filling)."""
    slices: dict[tuple[str, int], dict[CellKey, Facts]] = defaultdict(dict)
    for key, cell in cells.items():
        utility, ts, _g = key
        slices[(utility, ts)][key] = Facts(cell.total, cell.holders.count, cell.top)
    public: set[CellKey] = set()
    reasons: dict[CellKey, Reason] = {}
    for (utility, ts), facts in slices.items():
        start = patterns.get(measurement, utility, ts) if patterns is not None else None
        before = patterns.version(measurement, utility, ts) if patterns is not None else None
        if start is None:
            # No pattern yet: start from the direct-difference rule (complementary.py,
            # milliseconds); the audit's rounds then close what it leaves open.
            holders = {g: cells[(utility, ts, g)].holders for _u, _t, g in facts}
            _public, extra = complementary_publishable(holders, rules.k)
            start = {(utility, ts, g) for g in extra}
        parts = period_parts(patterns, measurement, utility, ts)
        shown, why = decide(facts, rules, start=start, before=before, hours=parts)
        public |= shown
        reasons.update(why)
        if revised is not None and before is not None:
            ended = before.decided_ms >= period_end(measurement, ts)
            revised.update(dict.fromkeys(changed_since(before, facts), ended))
        if patterns is not None:
            withheld = {k for k, r in why.items() if r is Reason.PROTECTS}
            # Live minutes keep no version: one a minute, replaced while they fill.
            version = (
                Version(facts, frozenset(shown), now_ms, frozenset(withheld))
                if measurement != LIVE_1M
                else None
            )
            patterns.put(measurement, utility, ts, withheld, version)
    return public, reasons


def period_parts(
    patterns: Patterns | None, measurement: str, utility: str, ts: int
) -> dict[int, Version] | None:
    """The versions of a period's parts decided so far, which it is protected with: a KST
    day's hours, a KST month's days (None: live minutes and hours, protected alone)."""
    if patterns is None or measurement not in (CONSUMPTION_1D, CONSUMPTION_1MO):
        return None
    part, starts = (
        (CONSUMPTION_1H, hours_of_day(ts))
        if measurement == CONSUMPTION_1D
        else (CONSUMPTION_1D, days_of_month(ts))
    )
    found = {t: patterns.version(part, utility, t) for t in starts}
    return {t: v for t, v in found.items() if v is not None}


def hours_of_day(day: int) -> range:
    return range(day, day + DAY_MS, HOUR_MS)


def days_of_month(month: int) -> range:
    """KST day starts of the KST month starting at `month` (Korea keeps no summer time)."""
    return range(month, next_month(month), DAY_MS)


def changed_since(before: Version, facts: dict[CellKey, Facts]) -> set[CellKey]:
    """Cells published before whose figures have changed."""
    return {k for k in before.published if k in facts and not unchanged(before.facts[k], facts[k])}


def period_end(measurement: str, ts: int) -> int:
    if measurement == LIVE_1M:
        return ts + MINUTE_MS
    if measurement == CONSUMPTION_1MO:
        return next_month(ts)
    return ts + (DAY_MS if measurement == CONSUMPTION_1D else HOUR_MS)


def group_points(
    measurement: str,
    cells: dict[CellKey, Cell],
    k: int | DisclosureRules,
    value_fields: Callable[[str, float], dict[str, float]],
    patterns: Patterns | None = None,
    now_ms: int = 0,
    basis: str = "",
    simulated: bool = False,
) -> Output:
    """One point per cell in private; in public only if the disclosure control allows.
    A published cell whose figures changed carries the time: on its new figures
    (`revised_ms`) when its period had ended before (a revision), or, when the new
    figures are withheld, beside its published ones (`revision_withheld_ms`: they stay,
    known, and a reader is told that they are not the latest).

    `simulated`: the registry has simulated sites, so each point carries
    `simulated_sites` (how many of its holders are, 0 included: a point rewritten
    later must not keep an earlier count)."""
    rules = rules_of(k)
    out = Output()
    held: set[tuple[str, int, Group]] = set()
    revised: dict[CellKey, bool] = {}
    public, reasons = decide_cells(cells, rules, patterns, measurement, now_ms, revised)
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
        if simulated:  # a registry with simulated sites: every point says how many it holds
            fields[FIELD_SIMULATED_SITES] = int(cell.holders.simulated)
        if measurement == CONSUMPTION_1MO:
            fields[FIELD_APPORTIONED] = int(cell.apportioned)
        key = (utility, ts, group)
        if revised.get(key) and key in public:
            fields[FIELD_REVISED] = int(now_ms)
        elif key in revised and key not in public:
            # InfluxDB merges fields of a point rewritten at the same series and time:
            # the published figures stay, with the date their revision was withheld.
            out.public.append(line(measurement, tags, {FIELD_REVISION_WITHHELD: int(now_ms)}, ts))
        point = line(measurement, tags, fields, ts)
        reason = reasons.get(key, Reason.TOO_FEW)
        version = version_fields(cell, None if key in public else reason, now_ms, basis)
        out.private.append(line(measurement, tags, {**fields, **version}, ts))
        if key in public:
            out.public.append(point)
            out.published.add(point_key(measurement, tags, ts))
            continue
        if reason in MARKED:
            out.public.append(withheld_marker(measurement, tags, ts, MARKED[reason]))
        if (utility, suppressed_at(measurement, ts), group) not in held:
            # Held back per hour at most: the reason (too few holders) rarely changes faster.
            at = suppressed_at(measurement, ts)
            held.add((utility, at, group))
            out.private.append(_suppressed(measurement, tags, at, cell.holders, rules.k, reason))
    return out


def version_fields(
    cell: Cell, reason: Reason | None, now_ms: int, basis: str
) -> dict[str, float | int | str]:
    """What the next decision of the period needs of this one, on the private point only
    (a restarted rollup protects a revision with it, source.py `group_versions`): the
    holders, the largest contributions, whether published (else why not), when, and
    under which registry and rules (the engine's fingerprint)."""
    out: dict[str, float | int | str] = {
        FIELD_HOLDERS: int(cell.holders.count),
        FIELD_DISCLOSURE: reason.value if reason is not None else DISCLOSURE_PUBLISHED,
        FIELD_DECIDED: int(now_ms),
        FIELD_BASIS: basis,
    }
    out.update((f"{FIELD_TOP}{i}", float(v)) for i, v in enumerate(cell.top, start=1))
    return out


# Withheld groups that get a public marker, and its reason; below k: none.
MARKED = {Reason.PROTECTS: WITHHELD_COMPLEMENTARY, Reason.DOMINATED: WITHHELD_DOMINATED}


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


def withheld_marker(
    measurement: str, tags: dict[str, str], ts: int, reason: str = WITHHELD_COMPLEMENTARY
) -> str:
    """The public marker of a group withheld with k or more holders: no figures."""
    return line(WITHHELD, {TAG_MEASUREMENT: measurement, **tags}, {"reason": reason}, ts)


def _suppressed(
    measurement: str, tags: dict[str, str], ts: int, holders: Holders, k: int, reason: Reason
) -> str:
    return line(
        SUPPRESSED,
        {TAG_MEASUREMENT: measurement, **tags},
        {
            "holders": int(holders.count),
            "k": int(k),
            "complementary": int(reason is Reason.PROTECTS),
            "reason": reason.value,
        },
        ts,
    )
