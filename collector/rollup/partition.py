"""Rollup workers: the city split by district, and what a worker hands the merge.

A worker (`python -m collector rollup --partition NAME`) owns a partition, a set of
districts. It reads and keeps the counters of its districts' sites, and of every
importer's site (imports stored there may count in any district; their per-meter
points come out the same whichever worker writes them), and keeps meter states and
books as one process does. Instead of group points it writes the finest cells
(district × dong × building type) of its own districts: totals, holders, the set key
and the largest contributions, in the private rollups only. Which group a holder
counts in is its own district's (a household's dong, not its importer's), so a
finest cell is whole in exactly one partition.

The merge (merge.py) adds every partition's finest cells up into the six groups and
decides disclosure on the whole city: never per part, where "the city minus the other
districts" would undo another part's suppression.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product
from typing import Any

from collector.rollup.aggregate import Cell, CellKey, with_coarser
from collector.rollup.groups import Group, Holders, SiteInfo
from telemetry.influx_schema import (
    FIELD_APPORTIONED,
    FIELD_TOP,
    GROUP_ALL,
    TAG_DISTRICT,
    TAG_MEASUREMENT,
    TAG_PARTITION,
    TAG_SITE,
    TAG_UTILITY,
    partition_cells_of,
)
from telemetry.influxql import tag_in
from telemetry.lineproto import line
from telemetry.registry import AgentKind, Registry

HOLDER_FIELDS = ("sites", "households", "meters", "plain_sites", "simulated")
FIELD_KEY = "key"  # the holders' set key (groups.py Holders.key), hex: 64 bits unsigned


@dataclass(frozen=True, order=True)
class Partition:
    name: str
    districts: frozenset[str]

    def owns(self, group: Group) -> bool:
        """A finest group of this partition's districts."""
        return group.district in self.districts and is_finest(group)


def is_finest(group: Group) -> bool:
    return GROUP_ALL not in group


def partitions(
    weights: dict[str, int], spec: dict[str, list[str]], workers: int = 1
) -> list[Partition]:
    """The configured partitions, or the districts (every one of the geography: a
    district without sites may still hold standalone households) split into as many
    partitions as workers are expected, balanced by `weights` (sites per district):
    exhaustively for a city of few districts (Gwangju's five), greedily past that. A
    partition is named by its districts, so that another split gives other names
    (cursors and cells anew)."""
    if spec:
        return [Partition(name, frozenset(ds)) for name, ds in sorted(spec.items())]
    n = max(1, min(workers, len(weights)))
    bins = _exact(weights, n) if n ** len(weights) <= EXACT_MAX else _greedy(weights, n)
    named = ("-".join(sorted(ds)) for ds in bins if ds)
    return sorted(Partition(name, frozenset(name.split("-"))) for name in named)


EXACT_MAX = 100_000  # assignments tried exhaustively (Gwangju: 5 districts, 2^5 for two)


def _exact(weights: dict[str, int], n: int) -> list[list[str]]:
    """The split whose heaviest partition is lightest, every partition non-empty."""
    names = sorted(weights)
    best: tuple[int, tuple[int, ...]] | None = None
    for assignment in product(range(n), repeat=len(names)):
        if len(set(assignment)) < n:
            continue
        loads = [0] * n
        for d, b in zip(names, assignment, strict=True):
            loads[b] += weights[d]
        if best is None or max(loads) < best[0]:
            best = (max(loads), assignment)
    assert best is not None
    bins: list[list[str]] = [[] for _ in range(n)]
    for d, b in zip(names, best[1], strict=True):
        bins[b].append(d)
    return bins


def _greedy(weights: dict[str, int], n: int) -> list[list[str]]:
    """Largest district first, into the lightest partition (the fewest districts on a tie)."""
    bins: list[list[str]] = [[] for _ in range(n)]
    loads = [0] * n
    for district, weight in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        i = min(range(n), key=lambda b: (loads[b], len(bins[b])))
        bins[i].append(district)
        loads[i] += weight
    return bins


def uncovered(parts: list[Partition], districts: Iterable[str]) -> list[str]:
    """Districts no partition holds (their figures would be left out), or held twice."""
    seen: dict[str, int] = {}
    for part in parts:
        for d in part.districts:
            seen[d] = seen.get(d, 0) + 1
    return sorted(d for d in set(districts) | set(seen) if seen.get(d, 0) != 1)


def partition_sites(
    sites: dict[str, SiteInfo], registry: Registry, part: Partition
) -> dict[str, SiteInfo]:
    """The sites whose readings a partition's worker reads: its districts' and importers'."""
    importers = {
        s.id for s in registry.sites.values() if any(a.kind == AgentKind.IMPORTER for a in s.agents)
    }
    return {
        site: info
        for site, info in sites.items()
        if info.district in part.districts or site in importers
    }


def partition_scope(part: Partition, importers: list[str]) -> str:
    """The WHERE clause (" AND ...") a worker's raw reads add: readings of its districts'
    sites, or of the importers' sites elsewhere (raw readings carry their site's
    district tag)."""
    district = tag_in(TAG_DISTRICT, sorted(part.districts))
    site = tag_in(TAG_SITE, importers) if importers else None
    if district is None or (importers and site is None):
        raise ValueError(f"partition {part.name}: a district or site id has a control character")
    return f" AND ({district} OR {site})" if site else f" AND {district}"


def cell_lines(measurement: str, cells: dict[CellKey, Cell], part: Partition) -> list[str]:
    """The partition's finest cells of `measurement`, as private points."""
    out = []
    for (utility, ts, group), cell in cells.items():
        if not part.owns(group):
            continue
        tags = {TAG_MEASUREMENT: measurement, TAG_UTILITY: utility, **group.tags()}
        tags[TAG_PARTITION] = part.name
        out.append(line(partition_cells_of(measurement), tags, cell_fields(cell), ts))
    return out


def cell_fields(cell: Cell) -> dict[str, float | int | str]:
    h = cell.holders
    fields: dict[str, float | int | str] = {"total": float(cell.total)}
    fields.update((name, int(getattr(h, name))) for name in HOLDER_FIELDS)
    fields[FIELD_KEY] = format(h.key, "x")
    fields[FIELD_APPORTIONED] = int(cell.apportioned)
    fields.update((f"{FIELD_TOP}{i}", float(v)) for i, v in enumerate(cell.top, start=1))
    return fields


def cell_of(row: dict[str, Any]) -> Cell:
    """A finest cell read back (cell_fields' inverse)."""
    holders = Holders(**{name: int(row.get(name) or 0) for name in HOLDER_FIELDS})
    holders.key = int(str(row.get(FIELD_KEY) or "0"), 16)
    top = []
    for i in range(1, 10):
        value = row.get(f"{FIELD_TOP}{i}")
        if value is None:
            break
        top.append(float(value))
    total = float(row.get("total") or 0.0)
    return Cell(total, holders, int(row.get(FIELD_APPORTIONED) or 0), tuple(top))


def merged(parts: Iterable[tuple[CellKey, Cell]]) -> dict[CellKey, Cell]:
    """Every partition's finest cells → the six groups' cells (finest first, merged up)."""
    finest: dict[CellKey, Cell] = {}
    for key, cell in parts:
        kept = finest.get(key)
        if kept is None:
            finest[key] = cell
        else:
            kept.merge(cell)
    return with_coarser(dict(sorted(finest.items())))


def encode_touched(touched: dict[str, set[int]]) -> str:
    """Periods a pass touched, per measurement, compactly: `m:a,b~e~s;…` (ms of period
    starts, `b~e~s` a run from b to e by s) — a pass touches runs of hours and minutes."""
    out = []
    for measurement, periods in sorted(touched.items()):
        if periods:
            out.append(f"{measurement}:{','.join(_runs(sorted(periods)))}")
    return ";".join(out)


def _runs(ts: list[int]) -> Iterable[str]:
    i = 0
    while i < len(ts):
        j = i + 1
        step = ts[j] - ts[i] if j < len(ts) else 0
        while j < len(ts) and ts[j] - ts[j - 1] == step:
            j += 1
        if j - i >= 3:
            yield f"{ts[i]}~{ts[j - 1]}~{step}"
            i = j
        else:
            yield str(ts[i])
            i += 1


def decode_touched(text: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for part in filter(None, text.split(";")):
        measurement, _, runs = part.partition(":")
        periods = out.setdefault(measurement, set())
        for run in filter(None, runs.split(",")):
            first, *rest = run.split("~")
            if rest:
                last, step = int(rest[0]), int(rest[1])
                periods.update(range(int(first), last + 1, step))
            else:
                periods.add(int(first))
    return out
