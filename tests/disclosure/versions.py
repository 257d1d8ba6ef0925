"""The attacker's view of two versions of a period's tables (issue 24, revisions): both
versions' groups with their sums, the version before as a period of its own, and every
group the revision left unchanged equal in both (a reader can tell which sites an import
or late readings touched)."""

from __future__ import annotations

from collections.abc import Mapping

from collector.rollup.disclosure import Facts, UnitKey, energy_system
from telemetry.disclosure import Constraint, System

# The version before sits at its period's start minus this (ms): a key of its own.
SHIFT = 1


def before(key: UnitKey) -> UnitKey:
    utility, ts, group = key
    return (utility, ts - SHIFT, group)


def two_versions(old: Mapping[UnitKey, Facts], new: Mapping[UnitKey, Facts]) -> System:
    system = energy_system({**{before(k): f for k, f in old.items()}, **new})
    for key, facts in new.items():
        if old.get(key) == facts:
            system.constraints.append(Constraint.total(key, [before(key)]))
    system.check()
    return system


def seen(published_before: set[UnitKey], published_now: set[UnitKey]) -> set[UnitKey]:
    """What the reader has: both versions' published groups."""
    return {before(k) for k in published_before} | published_now
