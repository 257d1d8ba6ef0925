"""A need that only published figures surround (`protect(pinned=...)`): no pattern of the
units still open can protect it. Raising there withheld every new figure of a period
(a city day whose hours had fixed its neighbours); skipping it keeps searching for the
others, which must still end protected."""

from __future__ import annotations

import pytest

from telemetry.disclosure import (
    Constraint,
    DisclosureRules,
    Kind,
    Reason,
    System,
    Unit,
    audit,
    protect,
)

RULES = DisclosureRules(k=3)


def _unit(value: float, holders: int) -> Unit:
    top = (value / holders,) * min(holders, 3)
    return Unit(Kind.MAGNITUDE, holders, {}, top=top)


def _system() -> System:
    """Two tables: T1 = a1 + b1 (T1 and b1 known from before), T2 = a2 + b2 + c2 (open);
    a1 and a2 stand for one holder each."""
    system = System()
    for key, value, holders in (
        ("T1", 50.0, 11),
        ("a1", 20.0, 1),
        ("b1", 30.0, 10),
        ("T2", 100.0, 21),
        ("a2", 10.0, 1),
        ("b2", 40.0, 10),
        ("c2", 50.0, 10),
    ):
        unit = _unit(value, holders)
        unit.figures, unit.main = {key: value}, key
        system.add(key, unit)
    system.constraints += [
        Constraint.total("T1", ["a1", "b1"]),
        Constraint.total("T2", ["a2", "b2", "c2"]),
    ]
    system.check()
    return system


def test_a_pinned_need_raises_by_default() -> None:
    with pytest.raises(RuntimeError, match="no published unit left"):
        protect(_system(), RULES, fixed={"T1", "b1"})


def test_a_pinned_need_is_skipped_and_the_others_still_protected() -> None:
    system = _system()
    result = protect(system, RULES, fixed={"T1", "b1"}, pinned="skip")
    assert [n.unit for n in result.pinned] == ["a1"]
    assert result.reasons["a1"] is Reason.TOO_FEW  # withheld still, by its own rule
    assert {"T1", "b1"} <= result.published
    # a2 is open to protection: a complement is withheld beside it.
    assert result.reasons["a2"] is Reason.TOO_FEW
    assert {k for k, r in result.reasons.items() if r is Reason.PROTECTS} & {"b2", "c2", "T2"}
    others = [n for n in result.needs if n not in result.pinned]
    assert [n.unit for n in others] == ["a2"]
    assert audit(system, result.published, others) == []
    # The pinned need is exposed whatever is withheld: the known figures give it.
    (exposed,) = audit(system, result.published, result.pinned)
    assert exposed.lo == exposed.hi == 20.0
