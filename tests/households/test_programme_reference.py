"""The evaluation's estimator (per comparison cell, every bootstrap replicate solved at once
from household weights) equals the row-by-row reference it replaced: the same point
estimate and counts, and the same bootstrap replicates from the same seed, on a small
programme with the awkward cases (ended and overlapping enrolments, an enrolment before
the window, missing and zero months, a household not in the registry, cell-months that
only one comparison household reports, a cell without enrolled households)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import numpy as np
import pytest

from insights import programme_eval
from insights.programme_inputs import Enrolled, MonthlyUse, Subject
from insights.programme_panel import build_panel
from tests.households import programme_reference as reference
from tests.households.synthetic import month, synthetic_city


def _awkward(seed: int) -> tuple[list[Subject], list[MonthlyUse]]:
    subjects, uses = synthetic_city(seed, cells=3, per_cell=16, months=20)
    rng = random.Random(seed)
    changed = []
    for i, s in enumerate(subjects):
        enrolments = list(s.enrolments)
        if i % 16 == 0:  # a retrofit household whose enrolment ended after some months
            e = enrolments[0]
            enrolments[0] = dataclasses.replace(e, end=e.start + dt.timedelta(days=120))
        elif i % 16 == 1:  # a placebo household that later joined the retrofit too
            enrolments.append(Enrolled("retrofit", month(17)))
        elif i % 16 == 4:  # enrolled before the window: no untreated month
            enrolments[0] = Enrolled("retrofit", dt.date(2024, 6, 1))
        changed.append(dataclasses.replace(s, enrolments=tuple(enrolments)))
    kept = []
    for u in uses:
        if rng.random() < 0.08:
            continue  # a missing month
        if rng.random() < 0.02:
            u = dataclasses.replace(u, consumption=0.0)  # no use: left out by the log
        last = u.month == month(19) and u.household.startswith("h0-")
        if last and u.household not in {"h0-2", "h0-8"} and u.household.split("-")[1] != "0":
            continue  # cell 0's last month: two households report it, one of them enrolled
        kept.append(u)
    kept.append(MonthlyUse("not-registered", "electricity", month(3), 100.0))
    for n in range(6):  # a cell nobody enrolled in: its households compare with no one
        changed.append(Subject(f"x-{n}", ("2999999999", "apartment")))
        kept.extend(
            dataclasses.replace(u, household=f"x-{n}") for u in uses if u.household == f"h1-{n}"
        )
    rng.shuffle(kept)
    return changed, kept


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_estimator_equals_the_row_by_row_reference(seed: int) -> None:
    subjects, uses = _awkward(seed)
    panel = build_panel("retrofit", subjects, uses)
    cells = programme_eval._cells(panel)
    rows = reference.panel("retrofit", subjects, uses)
    assert panel.households == rows.households
    assert (panel.enrolled == rows.enrolled).all()

    point = programme_eval._fit(panel, cells)
    expected = reference.fit(rows, np.arange(rows.households))
    assert point.months > 0
    assert (point.months, point.treated, point.controls) == (
        expected.months,
        expected.treated,
        expected.controls,
    )
    assert point.effect == pytest.approx(expected.effect, abs=1e-9)

    draws = programme_eval._bootstrap(panel, cells, 60, seed)
    expected_draws = reference.bootstrap(rows, 60, seed)
    assert len(draws) == len(expected_draws) > 0
    np.testing.assert_allclose(draws, expected_draws, rtol=0, atol=1e-9)
    assert np.ptp(draws) > 0  # the replicates differ: the draws were not one fit repeated


def test_the_reference_sees_the_awkward_cases() -> None:
    """The programme above has what it claims: households without untreated months, a
    cell-month some replicates have no comparison household for, and comparison households
    in a cell without enrolled ones (not counted as comparison households)."""
    subjects, uses = _awkward(1)
    rows = reference.panel("retrofit", subjects, uses)
    untreated = np.bincount(
        np.repeat(np.arange(rows.households), rows.count), rows.untreated, rows.households
    )
    assert (rows.enrolled & (untreated == 0)).any()
    last = [u for u in uses if u.month == month(19) and u.household.startswith("h0-")]
    assert {u.household for u in last} <= {"h0-0", "h0-2", "h0-8"}
    everyone = np.arange(rows.households)
    assert reference.fit(rows, everyone).controls < (~rows.enrolled & (untreated > 0)).sum()


def test_a_month_only_unconnected_households_report_is_not_imputed() -> None:
    """Household c (enrolled from March) shares months with a; b shares none with either.
    c's June is reported only by b, so its untreated value is not identified (a shift of
    b's months against a's fits as well): it is left out, and c's May is imputed as if b
    were not there. The row-by-row reference imputed June with whatever its iterations
    started from."""
    cell = ("2911071000", "apartment")
    a, b = Subject("a", cell), Subject("b", cell)
    c = Subject("c", cell, (Enrolled("retrofit", dt.date(2025, 3, 1)),))

    def use(who: str, months: tuple[int, ...], base: float) -> list[MonthlyUse]:
        return [
            MonthlyUse(who, "electricity", dt.date(2025, m, 1), base + 7 * m + m * m)
            for m in months
        ]

    uses = use("a", (1, 2, 3, 5), 100) + use("b", (6, 7), 50) + use("c", (1, 2, 5, 6), 80)
    panel = build_panel("retrofit", [a, b, c], uses)
    point = programme_eval._fit(panel, programme_eval._cells(panel))
    without_b = reference.panel("retrofit", [a, c], uses)
    expected = reference.fit(without_b, np.arange(without_b.households))
    assert (point.months, expected.months) == (1, 1)
    assert point.effect == pytest.approx(expected.effect, abs=1e-9)
    everyone = reference.panel("retrofit", [a, b, c], uses)
    assert reference.fit(everyone, np.arange(3)).months == 2  # June, not identified
