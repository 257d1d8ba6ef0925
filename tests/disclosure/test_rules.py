"""The primary rules: minimum count, dominance (p% and (n, k)), group disclosure; the
rules' configuration; a crossed table's additivity constraints."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.rollup.disclosure import contributions
from telemetry.disclosure import (
    DisclosureRules,
    Dominance,
    Kind,
    Reason,
    Unit,
    dominance_excess,
    hierarchy,
    sensitivity,
)

RULES = DisclosureRules(k=5)


def _magnitude(values: list[float]) -> Unit:
    top = tuple(sorted(values, reverse=True)[:3])
    return Unit(Kind.MAGNITUDE, len(values), {"v": sum(values)}, main="v", top=top)


def test_a_factory_using_ninety_percent_of_a_five_site_dong_dominates_it() -> None:
    # The example: five sites, one factory uses 90 %.
    values = [900.0, 30.0, 30.0, 20.0, 20.0]
    reason, [need] = sensitivity("dong", _magnitude(values), RULES)
    assert reason is Reason.DOMINATED
    # p% rule: the second largest (30) would estimate the factory as T - 30 = 970, within
    # 7.8 % of 900; p/100·x1 − (T − x1 − x2) = 90 − 70 = 20 must stay uncertain.
    assert need.upper == pytest.approx(0.10 * 900 - (1000 - 900 - 30))
    assert need.lower == need.upper


def test_an_even_group_is_not_dominated() -> None:
    reason, needs = sensitivity("dong", _magnitude([200.0] * 5), RULES)
    assert (reason, needs) == (None, [])


@pytest.mark.parametrize(
    ("top", "total", "rule", "dominated"),
    [
        ((80.0, 15.0), 100.0, Dominance(rule="p_percent", p=10), True),  # 8 > rest 5
        ((50.0, 30.0), 100.0, Dominance(rule="p_percent", p=10), False),  # 5 < rest 20
        ((50.0, 40.0), 100.0, Dominance(rule="nk", n=2, nk_k=85), True),  # 90 % > 85 %
        ((50.0, 30.0), 100.0, Dominance(rule="nk", n=2, nk_k=85), False),  # 80 % ≤ 85 %
        ((99.0, 1.0), 100.0, Dominance(rule="off"), False),
    ],
)
def test_dominance_rules(
    top: tuple[float, ...], total: float, rule: Dominance, dominated: bool
) -> None:
    rules = DisclosureRules(k=2, dominance=rule)
    assert (dominance_excess(top, total, rules) > 0) is dominated


def test_too_few_holders_come_before_dominance() -> None:
    reason, [need] = sensitivity("cell", _magnitude([10.0, 1.0]), RULES)
    assert reason is Reason.TOO_FEW
    assert need.upper == pytest.approx(0.2 * 11)  # protection_pct of the value


def test_a_cell_that_used_nothing_still_needs_some_protection() -> None:
    _reason, [need] = sensitivity("cell", _magnitude([0.0]), RULES)
    assert need.upper == RULES.protection_floor and need.lower == 0


def test_group_disclosure_and_its_switch() -> None:
    alike = Unit(Kind.FREQUENCY, 7, {"n": 7, "yes": 7, "no": 0}, main="n", alike=(("yes", "n"),))
    reason, [need] = sensitivity("cell", alike, RULES)
    assert reason is Reason.ALL_ALIKE
    assert need.coefs == (("n", 1.0), ("yes", -1.0)) and need.upper == 1
    off = RULES.model_copy(update={"group_disclosure": False})
    assert sensitivity("cell", alike, off) == (None, [])


def test_a_small_frequency_cell_protects_its_size_and_each_answer_it_holds() -> None:
    small = Unit(Kind.FREQUENCY, 2, {"n": 2, "yes": 1, "no": 1, "unsure": 0}, main="n")
    reason, needs = sensitivity("cell", small, RULES)
    assert reason is Reason.TOO_FEW
    by_figure = {n.coefs[0][0]: (n.lower, n.upper) for n in needs}
    # The size both ways; an answer's count from below; an empty count is not sensitive.
    assert by_figure == {"n": (1, 1), "yes": (1, 0), "no": (1, 0)}


def test_contributions_split_a_complex_among_its_households() -> None:
    # An 840-household complex is 840 holders of a 840th each, not one dominant site.
    assert contributions([(8400.0, 840), (300.0, 0), (200.0, 0)]) == (300.0, 200.0, 10.0)
    assert contributions([(5.0, 0)]) == (5.0,)


def test_rules_are_strict_configuration() -> None:
    with pytest.raises(ValidationError):
        DisclosureRules.model_validate({"k": 5, "dominanse": {}})
    with pytest.raises(ValidationError):
        DisclosureRules.model_validate({"dominance": {"rule": "p_percent", "p": 0}})


def test_hierarchy_of_a_crossed_table() -> None:
    cells = {(d, t): f"{d}/{t}" for d in ("all", "a", "b") for t in ("all", "x", "y")}
    del cells[("b", "y")]  # an empty crossing: a structural zero
    got = {(c.coefs[0][0], frozenset(f for f, _ in c.coefs[1:])) for c in hierarchy(cells, "all")}
    assert got == {
        ("all/all", frozenset({"a/all", "b/all"})),
        ("all/all", frozenset({"all/x", "all/y"})),
        ("a/all", frozenset({"a/x", "a/y"})),
        ("b/all", frozenset({"b/x"})),
        ("all/x", frozenset({"a/x", "b/x"})),
        ("all/y", frozenset({"a/y"})),
    }


def test_the_rollup_reads_its_rules_from_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collector.rollup.settings import RollupSettings

    folder = tmp_path
    (folder / "settings.yaml").write_text(
        "version: 2\nrollup:\n  privacy_k: 7\n  disclosure:\n    dominance: {rule: nk, n: 2, nk_k: 80}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ENERGY_CONFIG_DIR", str(folder))
    settings = RollupSettings()
    rules = settings.disclosure.rules(settings.privacy_k)
    assert (rules.k, rules.dominance.rule, rules.dominance.nk_k) == (7, "nk", 80)
    (folder / "settings.yaml").write_text(
        "version: 2\nrollup:\n  disclosure:\n    dominanse: {}\n", encoding="utf-8"
    )
    with pytest.raises(Exception, match="dominanse"):
        RollupSettings()
