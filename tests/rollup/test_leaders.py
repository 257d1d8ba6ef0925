"""A group's leaders (leaders.py), kept offer by offer, give the contributions of every
holder: shares that rise, fall, tie and leave, holders with and without households."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collector.rollup.disclosure import contributions
from collector.rollup.groups import CITY, Group
from collector.rollup.leaders import Holder, Leaders, Share

steps = st.lists(
    st.tuples(
        st.sampled_from(["offer", "leave", "tops"]),
        st.integers(0, 7),  # holder
        st.sampled_from([0.0, 1.0, 2.0, 5.0, 5.0, 9.0, 30.0, -1.0]),  # ties on purpose
        st.sampled_from([0, 0, 1, 2, 10]),  # households
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(steps=steps)
def test_leaders_equal_contributions_of_every_holder(steps: list) -> None:
    holders: dict[Holder, Share] = {}
    leaders = Leaders()
    every = lambda _g: list(holders.items())  # noqa: E731
    tops = leaders.tops(every)  # what a caller sees, updated in place
    for kind, which, value, households in steps:
        holder = ("site", f"s{which}")
        if kind == "offer":
            holders[holder] = (value, households)
            leaders.offer(CITY, holder, value, households)
        elif kind == "leave" and holder in holders:
            del holders[holder]
            leaders.leave(CITY, holder)
        else:
            tops = leaders.tops(every)
            assert tops.get(CITY, ()) == (contributions(holders.values()) if holders else ())
    tops = leaders.tops(every)
    assert tops.get(CITY, ()) == (contributions(holders.values()) if holders else ())


def test_a_leader_that_falls_below_another_holder_is_recomputed() -> None:
    holders: dict[Holder, Share] = {
        ("site", s): (v, 0) for s, v in zip("abcd", [9, 8, 7, 6], strict=True)
    }
    leaders = Leaders()
    every = lambda _g: list(holders.items())  # noqa: E731
    group = Group("29110", "all", "all")
    for h, (v, hh) in holders.items():
        leaders.offer(group, h, v, hh)
    assert leaders.tops(every)[group] == (9, 8, 7)
    holders[("site", "a")] = (1, 0)
    leaders.offer(group, ("site", "a"), 1, 0)
    assert leaders.tops(every)[group] == (8, 7, 6)
