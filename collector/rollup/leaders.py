"""Each group's largest holders, kept up to date holder by holder (books.py).

The dominance rule needs a group's few largest contributions per holder
(disclosure.contributions). Recomputing them from every holder of every group
a pass touched cost a pass what the city's size costs; here a changed holder
is offered to its groups and each group keeps its leaders, exact because:

- every holder outside a group's leaders has a share no larger than the
  smallest leader's, and
- the leaders hold at least `TOP` contributions, unless they are all the
  group's holders.

An offer that keeps both true costs a few comparisons. A leader whose share
falls (or its households), or who leaves the group, may break the first: that group alone is
recomputed from all its holders (counters rarely fall within a period:
a revision, or a site the registry moved).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from collector.rollup.disclosure import TOP
from collector.rollup.groups import Group

Holder = tuple[str, str]  # ("site" or "household", id)
Share = tuple[float, int]  # (value, households): disclosure.contributions' input


def _share(value: float, households: int) -> tuple[float, int]:
    """(share per holder, copies): a site with h households is h holders of value/h."""
    return (value / households if households > 0 else value), min(max(households, 1), TOP)


class Leaders:
    def __init__(self) -> None:
        self._lead: dict[Group, dict[Holder, tuple[float, int]]] = {}
        # The share a newcomer must pass to lead (None: the leaders are every holder).
        self._floor: dict[Group, float | None] = {}
        self._stale: set[Group] = set()  # to recompute from every holder
        self._changed: set[Group] = set()  # leaders changed: contributions to rebuild
        self._tops: dict[Group, tuple[float, ...]] = {}

    def offer(self, group: Group, holder: Holder, value: float, households: int) -> None:
        """A holder's new figure in the group (new holders included)."""
        self.offer_all((group,), holder, value, households)

    def offer_all(
        self, groups: tuple[Group, ...], holder: Holder, value: float, households: int
    ) -> None:
        """A holder's new figure in each of its groups."""
        share, copies = _share(value, households)
        for group in groups:
            self._offer(group, holder, share, copies)

    def _offer(self, group: Group, holder: Holder, share: float, copies: int) -> None:
        if group in self._stale:
            return
        lead = self._lead.get(group)
        if lead is None:
            self._stale.add(group)
            return
        was = lead.get(holder)
        if was is None:
            floor = self._floor[group]
            if floor is not None and share <= floor:
                return  # below every leader: the leaders stand
        elif share < was[0] or copies < was[1]:
            self._stale.add(group)
            return
        elif was == (share, copies):
            return
        lead[holder] = (share, copies)
        self._floor[group] = _trim(lead)
        self._changed.add(group)

    def leave(self, group: Group, holder: Holder) -> None:
        """A holder no longer in the group (moved by the registry, or no longer counted)."""
        lead = self._lead.get(group)
        if lead is not None and holder in lead:
            self._stale.add(group)

    def tops(
        self, every_holder: Callable[[Group], Iterable[tuple[Holder, Share]]]
    ) -> dict[Group, tuple[float, ...]]:
        """Each group's largest contributions (disclosure.contributions of every holder);
        every_holder: a group's holders and their shares, for the groups recomputed."""
        for group in self._stale:
            # TOP holders hold at least TOP contributions: the largest TOP are enough.
            found = heapq.nlargest(
                TOP, ((h, _share(*s)) for h, s in every_holder(group)), key=_by_share
            )
            if found:
                self._lead[group] = lead = dict(found)
                self._floor[group] = _trim(lead)
                self._changed.add(group)
            else:
                self._lead.pop(group, None)
                self._floor.pop(group, None)
                self._tops.pop(group, None)
        self._stale.clear()
        for group in self._changed:
            if group in self._lead:
                self._tops[group] = _expand(self._lead[group].values())
        self._changed.clear()
        return self._tops


def _trim(lead: dict[Holder, tuple[float, int]]) -> float | None:
    """Drop the smallest leaders while the rest still hold TOP contributions; returns
    the smallest leader's share, or None when they hold fewer (they are every holder)."""
    held = sum(c for _s, c in lead.values())
    while True:
        holder, (share, copies) = min(lead.items(), key=_by_share)
        if held - copies < TOP:
            return share if held >= TOP else None
        del lead[holder]
        held -= copies


def _expand(shares: Iterable[tuple[float, int]]) -> tuple[float, ...]:
    out = [s for s, c in sorted(shares, reverse=True) for _ in range(c)]
    return tuple(out[:TOP])


def _by_share(item: tuple[Holder, tuple[float, int]]) -> float:
    return item[1][0]
