"""The attacker's view of a period with its parts (a day with its hours, a month with its
days): every group of both, and the period equal to the sum of its parts, group by
group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from collector.rollup.disclosure import Facts, UnitKey, energy_system
from telemetry.disclosure import System


def with_parts(
    parts: Mapping[UnitKey, Facts], whole: Mapping[UnitKey, Facts], at: int, starts: Iterable[int]
) -> System:
    """`whole`'s groups rekeyed to `at` (the period starts with its first part: a key of
    its own), `parts`' groups at `starts`, and the sums between them."""
    rekeyed = {(u, at, g): f for (u, _t, g), f in whole.items()}
    utilities = {u for u, _t, _g in whole}
    system = energy_system({**parts, **rekeyed}, {(u, at): list(starts) for u in utilities})
    system.check()
    return system
