"""The operator's disclosure audit of one published period (`python -m collector rollup
disclosure-audit`): the period's groups as stored (true figures and holders from the
private points, what is public from the public bucket) as one linked system — a day
with its hours, a month with its days, and every sum between them — and the LP audit
(telemetry.disclosure) of every protected group against what the public bucket shows
now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from collector.rollup.aggregate import days_of_month, hours_of_day
from collector.rollup.disclosure import HOUR_SHIFT, Facts, UnitKey, energy_system
from collector.rollup.source import PublicMarkers, RawSource
from telemetry.disclosure import DisclosureRules, Exposure, Need, System, intervals, primary_needs
from telemetry.disclosure.audit import Memo
from telemetry.fields import Utility
from telemetry.influx_schema import CONSUMPTION_1D, CONSUMPTION_1H, CONSUMPTION_1MO

CHUNK = 50  # needs per step of the progress bar


@dataclass
class Audited:
    system: System
    published: set[UnitKey]
    needs: list[Need]


def period_system(
    private: RawSource, public: PublicMarkers, measurement: str, ts: int, rules: DisclosureRules
) -> Audited | None:
    """The period's stored groups and its parts' (a day's hours, a month's days), with
    the needs of the rules (None: nothing stored). ValueError: the stored figures do not add up (a day
    whose hours were decided at other times)."""
    cells, published = _stored(private, public, measurement, ts, 0)
    if not cells:
        return None
    system: System | None = None
    if measurement in PARTS:
        part, starts = PARTS[measurement]
        linked, shown = dict(cells), set(published)
        for t in starts(ts):
            more, seen = _stored(private, public, part, t, HOUR_SHIFT)
            linked |= more
            shown |= seen
        shifted = [t + HOUR_SHIFT for t in starts(ts)]
        sums = {(u, ts): shifted for u in {k[0] for k in cells}}
        try:
            system = energy_system(linked, sums)
            system.check(tolerance=1e-6)
            published = shown
        except ValueError:
            if measurement == CONSUMPTION_1D:
                raise
            # A month whose days do not add up to it (imported history counts in the
            # month, not in its days): audited on its own, as the rollups decide it then.
            system = None
    if system is None:
        system = energy_system(cells)
    _reasons, needs = primary_needs(system, rules)
    return Audited(system, published, needs)


# A period audited with its parts: a day with its hours, a month with its days.
PARTS: dict[str, tuple[str, Callable[[int], range]]] = {
    CONSUMPTION_1D: (CONSUMPTION_1H, hours_of_day),
    CONSUMPTION_1MO: (CONSUMPTION_1D, days_of_month),
}


def _stored(
    private: RawSource, public: PublicMarkers, measurement: str, ts: int, shift: int
) -> tuple[dict[UnitKey, Facts], set[UnitKey]]:
    stored = private.group_versions(measurement, [(u.value, ts) for u in Utility], None)
    cells = {(u, t + shift, g): f for v in stored.values() for (u, t, g), f in v.facts.items()}
    shown = {(u, t + shift, g) for u, t, g in public.current(measurement, ts)}
    return cells, shown & set(cells)


def run_audit(audited: Audited, step: Callable[[int], None]) -> list[Exposure]:
    """Every protected group's interval, CHUNK needs at a time (`step` after each)."""
    memo: Memo = {}
    out: list[Exposure] = []
    for chunk in _chunks(audited.needs):
        found = intervals(audited.system, audited.published, chunk, memo)
        out.extend(Exposure(i.need, i.lo, i.hi) for i in found if i.exposed)
        step(len(chunk))
    return out


def _chunks(needs: list[Need]) -> Iterator[list[Need]]:
    for i in range(0, len(needs), CHUNK):
        yield needs[i : i + CHUNK]
