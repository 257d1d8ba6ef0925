"""The programme evaluation recovers a known effect from a synthetic city, and says nothing
where the privacy rule or the data do not allow it."""

from __future__ import annotations

import csv
import io

import pytest

from insights.programme_eval import Estimate, estimates_csv, evaluate
from tests.households.synthetic import synthetic_city


def _one(programme: str, seed: int, **city: object) -> Estimate:
    subjects, uses = synthetic_city(seed, **city)  # type: ignore[arg-type]
    (estimate,) = evaluate(programme, subjects, uses, k=5, replicates=200, seed=seed)
    assert estimate.status == "ok", estimate.reason
    return estimate


SEEDS = range(1, 11)


@pytest.mark.parametrize(("programme", "truth"), [("retrofit", -8.0), ("placebo", 0.0)])
def test_the_known_effect_is_recovered_over_many_cities(programme: str, truth: float) -> None:
    """An 8% saving (and a placebo's 0%) over ten synthetic cities: every estimate near the
    truth, and the 95% interval holding it in nearly every city (a calibrated interval
    misses about one city in twenty; 3 misses of 10 would happen once in ~1,000 runs)."""
    estimates = [_one(programme, seed) for seed in SEEDS]
    for e in estimates:
        assert e.change_pct == pytest.approx(truth, abs=1.5), e
        assert e.ci_high_pct - e.ci_low_pct < 4.0  # an interval that says something
    covered = [e.ci_low_pct <= truth <= e.ci_high_pct for e in estimates]
    assert sum(covered) >= 8, estimates
    assert estimates[0].enrolled_households == 90
    assert estimates[0].comparison_households == 270


def test_another_effect_size_is_recovered_too() -> None:
    e = _one("retrofit", 7, effect=1.05)  # use went up 5%
    assert e.ci_low_pct <= 5.0 <= e.ci_high_pct, e
    assert e.change_pct == pytest.approx(5.0, abs=1.5)


def test_each_utility_is_evaluated_on_its_own() -> None:
    subjects, uses = synthetic_city(3, utilities=("electricity", "gas"))
    estimates = evaluate("retrofit", subjects, uses, k=5, replicates=50)
    assert [e.utility for e in estimates] == ["electricity", "gas"]
    for e in estimates:
        assert e.ci_low_pct <= -8.0 <= e.ci_high_pct


def test_below_k_households_the_figures_are_withheld() -> None:
    subjects, uses = synthetic_city(1, cells=2, per_cell=12)  # 6 enrolled households
    (e,) = evaluate("retrofit", subjects, uses, k=10, replicates=50)
    assert e.status == "suppressed" and "k=10" in (e.reason or "")
    assert e.change_pct is None and e.ci_low_pct is None
    assert e.enrolled_households == 6


def test_a_programme_nobody_joined_has_no_data() -> None:
    subjects, uses = synthetic_city(1, cells=2, per_cell=12)
    (e,) = evaluate("nobody-joined", subjects, uses, k=5, replicates=50)
    assert e.status == "no_data" and e.change_pct is None


def test_csv_export_has_one_row_per_utility() -> None:
    subjects, uses = synthetic_city(2, utilities=("electricity", "water"))
    estimates = evaluate("retrofit", subjects, uses, k=5, replicates=50)
    rows = list(csv.DictReader(io.StringIO(estimates_csv(estimates))))
    assert [r["utility"] for r in rows] == ["electricity", "water"]
    assert float(rows[0]["change_pct"]) == estimates[0].change_pct
    suppressed = evaluate("retrofit", subjects, uses, k=1000, replicates=10)
    (row, _) = csv.DictReader(io.StringIO(estimates_csv(suppressed)))
    assert row["status"] == "suppressed" and row["change_pct"] == ""
