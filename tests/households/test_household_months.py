"""A household's months: which source wins, whose rows they are, savings per utility."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from insights.degree_days import Weather, WeatherUsed, degree_days_of
from insights.household_months import MonthUse, Owners, Row, precedence
from insights.household_report import peer_medians
from insights.household_savings import enrolment_of, split_months, utility_savings
from telemetry.climate import normal_daily_mean_c
from telemetry.registry.household_registry import HouseholdRegistry
from telemetry.registry.households import Enrolment, Household
from telemetry.registry.sites import Site

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def _row(
    meter: str,
    source: str,
    month: dt.date,
    value: float,
    apportioned: bool = False,
    utility: str = "electricity",
) -> Row:
    return Row("s", meter, utility, source, month, value, apportioned)


def test_metered_wins_over_interval_over_bill_per_month() -> None:
    rows = [
        _row("hh-electricity-bill", "bill", JAN, 130.0, True),
        _row("elec", "meter", JAN, 100.0),
        _row("hh-electricity", "interval", JAN, 99.0),
        _row("hh-electricity-bill", "bill", FEB, 120.0, True),
        _row("hh-electricity", "interval", FEB, 90.0),
        _row("hh-electricity-bill", "bill", MAR, 110.0, True),
        _row("hh-gas", "interval", JAN, 5.0, utility="gas"),
    ]
    got = precedence(rows)
    assert got["electricity"] == [
        MonthUse(JAN, 100.0, "meter", False),
        MonthUse(FEB, 90.0, "interval", False),
        MonthUse(MAR, 110.0, "bill", True),
    ]
    assert got["gas"] == [MonthUse(JAN, 5.0, "interval", False)]


def test_a_usage_points_intervals_win_over_its_register_in_a_month() -> None:
    """A Green Button usage point imported as deltas (`hh-electricity`) and as a register
    (`hh-electricity-reg`): both are source `interval`; in a month with that usage point's
    deltas the finest wins and its register is not added; a register whose usage point has
    no deltas that month counts."""
    rows = [
        _row("hh-electricity", "interval", JAN, 310.0),
        _row("hh-electricity-reg", "interval", JAN, 309.5),
        _row("hh-electricity-reg", "interval", FEB, 280.0),
        _row("hh-electricity-2", "interval", FEB, 5.0),  # another usage point's deltas only
        _row("hh-electricity-reg", "interval", MAR, 290.0),
        _row("hh-electricity-2-reg", "interval", MAR, 4.0),
    ]
    assert precedence(rows)["electricity"] == [
        MonthUse(JAN, 310.0, "interval", False),
        MonthUse(FEB, 285.0, "interval", False),
        MonthUse(MAR, 294.0, "interval", False),
    ]


def test_one_source_sums_its_meters_and_an_apportioned_part_marks_the_month() -> None:
    rows = [
        _row("hh-water-bill", "bill", JAN, 4.0, True, utility="water"),
        _row("hh-water-2-bill", "bill", JAN, 1.5, False, utility="water"),
        # A source this reader does not know ranks nowhere.
        _row("hh-water-x", "telepathy", JAN, 1e6, utility="water"),
    ]
    assert precedence(rows) == {"water": [MonthUse(JAN, 5.5, "bill", True)]}
    assert precedence([]) == {}


def _homes() -> tuple[HouseholdRegistry, list[Household]]:
    def site(i: str, kind: str) -> Site:
        return Site.model_validate(
            {
                "id": i,
                "name_ko": i,
                "name_en": i,
                "kind": kind,
                "district": "29110",
                "dong": "2911071000",
                "building_type": "detached_house",
            }
        )

    sites = {"home": site("home", "household"), "apt": site("apt", "apartment_complex")}
    hs = [
        Household(id="a.1", site="home", building_type="detached_house", size_band="60-85"),
        Household(id="a", site="apt", building_type="apartment", size_band="40-60"),
        Household(
            id="b",
            dong="2911071000",
            building_type="detached_house",
            size_band="60-85",
            meters=["imp/b-old-meter"],
        ),
    ]
    return HouseholdRegistry(households={h.id: h for h in hs}, sites=sites), hs


def test_rows_belong_to_metered_meters_or_to_the_imported_id_prefix() -> None:
    homes, hs = _homes()
    owners = Owners(homes, hs)
    assert owners.of("home", "anything") == "a.1"  # every meter of its own site
    assert owners.of("imp", "b-old-meter") == "b"  # named in meters:
    assert owners.of("gb", "a.1-gas") == "a.1"  # '.' in an id is no wildcard
    assert owners.of("gb", "a-electricity-2") == "a"
    assert owners.of("gb", "a-1-gas") == "a"  # longest id prefix: "a" (no "a-1" household)
    assert owners.of("apt", "common") is None  # the complex's own meters are no one's
    assert owners.of("gb", "ab-gas") is None
    cond = owners.condition()
    assert "\"site\" = 'home'" in cond and "\"meter\" = 'b-old-meter'" in cond
    assert r"/^(a|a\.1|b)-/" in cond


def test_a_row_is_the_longest_registered_ids_even_when_a_query_asks_for_a_shorter_one() -> None:
    """Queries ask for some households at a time (the evaluation reads them all in
    chunks): `a-1-gas` is household a-1's, never a's, whichever chunk asks."""
    homes, hs = _homes()
    a1 = Household(id="a-1", dong="2911071000", building_type="apartment", size_band="40-60")
    everyone = HouseholdRegistry(households={h.id: h for h in [*hs, a1]}, sites=homes.sites)
    only_a = Owners(everyone, [h for h in hs if h.id == "a"])
    assert only_a.of("gb", "a-1-gas") is None
    assert only_a.of("gb", "a-gas") == "a"
    assert Owners(everyone, [a1]).of("gb", "a-1-gas") == "a-1"


def _enrolled(start: dt.date, end: dt.date | None = None) -> Enrolment:
    return Enrolment(programme="p", start=start, end=end)


def test_baseline_and_reporting_months_leave_out_the_enrolment_and_the_current_month() -> None:
    months = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, m, 1) for m in (1, 2)]
    e = _enrolled(dt.date(2025, 9, 10))
    base, rep = split_months(months, e, today=dt.date(2026, 2, 20))
    assert base == [dt.date(2025, m, 1) for m in range(1, 9)]
    assert rep == [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1), JAN]
    ended = _enrolled(dt.date(2025, 9, 10), dt.date(2025, 11, 30))
    assert split_months(months, ended, dt.date(2026, 2, 20))[1] == [dt.date(2025, 10, 1)]


def test_the_enrolment_open_today_else_the_latest_started() -> None:
    h = Household(
        id="h",
        dong="2911071000",
        building_type="apartment",
        size_band="40-60",
        enrolments=[
            _enrolled(dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
            _enrolled(dt.date(2025, 8, 1)),
            _enrolled(dt.date(2027, 1, 1)),
        ],
    )
    assert enrolment_of(h, dt.date(2025, 3, 1)).start == dt.date(2025, 1, 1)  # type: ignore[union-attr]
    assert enrolment_of(h, dt.date(2025, 7, 15)).start == dt.date(2025, 1, 1)  # type: ignore[union-attr]
    assert enrolment_of(h, dt.date(2026, 1, 1)).start == dt.date(2025, 8, 1)  # type: ignore[union-attr]
    assert enrolment_of(h, dt.date(2024, 1, 1)) is None


MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, m, 1) for m in range(1, 9)]
ENROLLED = _enrolled(dt.date(2025, 12, 5))  # baseline: 2025-01..11; reporting: 2026-01..07


def _uses(model, saving: float) -> list[MonthUse]:  # type: ignore[no-untyped-def]
    dd = degree_days_of(MONTHS)
    return [
        MonthUse(m, model(dd[m]) * (1 - saving if m > ENROLLED.start else 1), "meter", False)
        for m in MONTHS
    ]


def test_gas_is_normalised_by_heating_degree_days_and_recovers_the_saving() -> None:
    uses = _uses(lambda d: 1.0 * d.days + 0.5 * d.hdd, 0.2)
    s = utility_savings("gas", uses, ENROLLED, dt.date(2026, 8, 10))
    assert s.status == "ok" and s.weather == ("heating",)
    assert len(s.baseline_months) == 11 and len(s.reporting_months) == 7
    assert s.model.heating_per_hdd == pytest.approx(0.5) and s.model.cooling_per_cdd == 0  # type: ignore[union-attr]
    assert s.savings_pct == pytest.approx(20.0)


def test_electricity_takes_both_terms_and_water_none() -> None:
    elec = _uses(lambda d: 6 * d.days + 1.0 * d.hdd + 4.0 * d.cdd, 0.1)
    s = utility_savings("electricity", elec, ENROLLED, dt.date(2026, 8, 10))
    assert s.model.cooling_per_cdd == pytest.approx(4.0)  # type: ignore[union-attr]
    assert s.savings_pct == pytest.approx(10.0)
    # Water with a heating-shaped use: no weather term, so the reporting winter looks like
    # the baseline's mean per day, not like a normalised winter.
    water = _uses(lambda d: 0.3 * d.days, 0.05)
    w = utility_savings("water", water, ENROLLED, dt.date(2026, 8, 10))
    assert w.weather == () and w.model.heating_per_hdd == 0  # type: ignore[union-attr]
    assert w.savings_pct == pytest.approx(5.0)


def test_no_enrolment_too_little_baseline_and_solar_say_so() -> None:
    uses = _uses(lambda d: d.days, 0.0)
    assert utility_savings("gas", uses, None, dt.date(2026, 8, 1)).status == "no_enrolment"
    early = _enrolled(dt.date(2025, 5, 20))  # four months before it
    s = utility_savings("gas", uses, early, dt.date(2026, 8, 1))
    assert s.status == "too_few_baseline_months" and len(s.baseline_months) == 4
    assert s.savings is None
    assert utility_savings("solar", uses, ENROLLED, dt.date(2026, 8, 1)).status == "not_applicable"
    just = _enrolled(dt.date(2026, 7, 3))  # joined this month-1: no whole month after it yet
    assert utility_savings("gas", uses, just, dt.date(2026, 8, 1)).status == "no_reporting_months"


def test_similar_households_medians_only_where_k_of_them_have_data() -> None:
    def months(*values: tuple[dt.date, float]) -> dict[str, list[MonthUse]]:
        return {"electricity": [MonthUse(m, v, "interval", False) for m, v in values]}

    peers = [
        months((JAN, 10.0), (FEB, 20.0)),
        months((JAN, 30.0), (FEB, 40.0)),
        months((JAN, 50.0)),
        {},
    ]
    status, medians = peer_medians(peers, "electricity", k=3)
    assert status.status == "ok" and status.households == 3
    assert medians == {JAN: 30.0}  # February: only two of them
    too_few, none = peer_medians(peers, "electricity", k=4)
    assert too_few.status == "too_few" and too_few.households is None and none == {}
    assert peer_medians(peers, "gas", k=1)[0].status == "too_few"


def test_savings_say_which_weather_they_used() -> None:
    uses = _uses(lambda d: 1.0 * d.days + 0.5 * d.hdd, 0.2)
    normal = utility_savings("gas", uses, ENROLLED, dt.date(2026, 8, 10))
    assert normal.weather_used == WeatherUsed("normal", 0, 334 + 212, None)
    # Observations for the reporting months only, a colder January among them.
    reporting = {
        m.replace(day=d): normal_daily_mean_c(m.replace(day=d)) - (5 if m.month == 1 else 0)
        for m in MONTHS[12:19]
        for d in range(1, calendar.monthrange(m.year, m.month)[1] + 1)
    }
    mixed = utility_savings("gas", uses, ENROLLED, dt.date(2026, 8, 10), Weather(reporting, 156))
    assert mixed.weather_used == WeatherUsed("mixed", 212, 334 + 212, 156)
    assert mixed.savings_pct > normal.savings_pct  # the colder January expected more gas
    water = utility_savings(
        "water", _uses(lambda d: 0.3 * d.days, 0.05), ENROLLED, dt.date(2026, 8, 10)
    )
    assert water.status == "ok" and water.weather_used is None  # no weather term: none used
