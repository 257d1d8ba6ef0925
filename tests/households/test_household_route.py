"""`/v1/household/months` over a real InfluxDB holding the monthly rollup; household tokens."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from fastapi.testclient import TestClient

from telemetry.emissions import load_emission_factors
from tests.households import household_city
from tests.households.household_city import KEY, month_start, peer_use
from tests.support.links import household_link, retired_link
from tests.support.processes import run_module


def _months(client: TestClient, token: str, **params: str):  # type: ignore[no-untyped-def]
    return client.get("/v1/household/months", params={"token": token, **params})


def _by_utility(body: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {u["utility"]: u for u in body["utilities"]}


def test_the_households_months_come_from_the_best_source(homes) -> None:  # type: ignore[no-untyped-def]
    client, c = homes
    r = _months(client, household_link("kim-0001", KEY))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    body = r.json()
    assert body["household"] == "kim-0001" and body["dong"] == household_city.DONG
    assert body["enrolment"]["programme"] == "green-remodel"
    assert body["enrolment"]["start"] == c.enrolled.isoformat()
    got = {
        (u, dt.date.fromisoformat(m["month"] + "-01")): (
            m["consumption"],
            m["source"],
            m["apportioned"],
        )
        for u, fig in _by_utility(body).items()
        for m in fig["months"]
    }
    assert set(got) == set(c.expected)  # nothing from the lookalike kim-00010
    for key, (value, source, apportioned) in c.expected.items():
        assert got[key][0] == pytest.approx(value, abs=0.01), key
        assert got[key][1:] == (source, apportioned), key
    factors = load_emission_factors()
    elec = _by_utility(body)["electricity"]
    assert elec["co2e_kg"] == pytest.approx(factors.kg("electricity", elec["total"]), rel=1e-3)


def test_savings_are_normalised_against_the_named_baseline(homes) -> None:  # type: ignore[no-untyped-def]
    client, c = homes
    body = _months(client, household_link("kim-0001", KEY)).json()
    baseline = [month_start(c.today, n).strftime("%Y-%m") for n in range(-18, -6)]
    reporting = [month_start(c.today, n).strftime("%Y-%m") for n in range(-5, 0)]
    factors = load_emission_factors()
    for utility, saved in household_city.SAVED.items():
        s = _by_utility(body)[utility]["savings"]
        assert s["status"] == "ok", (utility, s)
        assert s["baseline_months"] == baseline and s["reporting_months"] == reporting
        assert s["savings_pct"] == pytest.approx(saved * 100, abs=0.05), utility
        assert s["co2e_avoided_kg"] == pytest.approx(
            factors.kg(utility, s["savings"]), rel=1e-3, abs=0.01
        )
    assert _by_utility(body)["gas"]["savings"]["weather"] == ["heating"]
    assert _by_utility(body)["water"]["savings"]["weather"] == []


def test_similar_households_only_where_k_of_them_have_data(homes) -> None:  # type: ignore[no-untyped-def]
    client, c = homes
    body = _by_utility(_months(client, household_link("kim-0001", KEY)).json())
    elec = body["electricity"]
    assert elec["peers"] == {"status": "ok", "k": 3, "households": 3}
    for m in elec["months"]:
        month = dt.date.fromisoformat(m["month"] + "-01")
        if month == c.gappy_month:
            assert m["peer_median"] is None  # two of them only
        else:
            assert m["peer_median"] == pytest.approx(peer_use(1, month), abs=0.01)
    assert body["gas"]["peers"] == {"status": "too_few", "k": 3, "households": None}
    assert all(m["peer_median"] is None for m in body["gas"]["months"])


def test_a_household_in_an_apartment_complex_has_its_own_imports_only(homes) -> None:  # type: ignore[no-untyped-def]
    client, _ = homes
    r = _months(client, household_link("park-0002", KEY))
    assert r.status_code == 200, r.text
    body = _by_utility(r.json())
    assert list(body) == ["electricity"]
    assert {m["consumption"] for m in body["electricity"]["months"]} == {150.0}  # not the complex's
    assert body["electricity"]["savings"]["status"] == "no_enrolment"
    assert r.json()["enrolment"] is None


def test_links_and_wrong_ones(homes) -> None:  # type: ignore[no-untyped-def]
    client, _ = homes
    bearer = client.get(
        "/v1/household/months",
        headers={"Authorization": f"Bearer {household_link('kim-0001', KEY)}"},
    )
    assert bearer.json() == _months(client, household_link("kim-0001", KEY)).json()
    refused = [
        household_link("kim-0001", "another-key"),
        household_link("nobody", KEY),  # signed, but no such household
        household_link("pungam-apt", KEY),  # a complex is not one household
        household_link("kim-0001", KEY)[:-1],
        "kim-0001",
        household_link("kim-0001", KEY, key_id="other"),  # a key id not configured
        household_link("kim-0001", KEY, version=2),  # a link version it never had
    ]
    for token in refused:
        r = _months(client, token)
        assert r.status_code == 401, token
        assert r.headers["content-type"].startswith("application/problem+json")
    for retired in (retired_link("kim-home"), retired_link("kim-0001")):  # versions 1 and 2
        r = _months(client, retired)
        assert r.status_code == 401 and "sign-household" in r.json()["detail"]
    assert client.get("/v1/household/months").status_code == 401
    # The site routes take the link of a household with a site of its own only.
    kim = client.get("/v1/household/usage", params={"token": household_link("kim-0001", KEY)})
    assert kim.status_code == 200, kim.text
    park = client.get("/v1/household/usage", params={"token": household_link("park-0002", KEY)})
    assert park.status_code == 401


def test_an_explicit_window_of_whole_months(homes) -> None:  # type: ignore[no-untyped-def]
    client, c = homes
    start, end = month_start(c.today, -4), month_start(c.today, -2)
    body = _months(client, household_link("kim-0001", KEY), start=str(start), end=str(end))
    fig = _by_utility(body.json())["gas"]
    assert [m["month"] for m in fig["months"]] == [
        start.strftime("%Y-%m"),
        month_start(c.today, -3).strftime("%Y-%m"),
    ]
    assert fig["savings"]["status"] == "too_few_baseline_months"
    bad = _months(client, household_link("kim-0001", KEY), start="2026-13-01")
    assert bad.status_code == 400


def test_odd_windows_are_answered_or_refused_cleanly(homes) -> None:  # type: ignore[no-untyped-def]
    client, _ = homes
    token = household_link("kim-0001", KEY)
    bad = _months(client, token, start="yesterday")  # no date at all: the schema says so
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    for start, end, said in [
        ("2026-11-01", "2026-10-01", "swapped"),  # reversed
        ("2010-01-01", "2026-01-01", "cut to"),  # more than 120 months
        ("1999-01-01", None, "brought inside"),
    ]:
        params = {"start": start} | ({"end": end} if end else {})
        r = _months(client, token, **params)
        assert r.status_code == 200, (start, end, r.text)
        assert said in r.headers["window-adjusted"], (start, end)
    only_end = _months(client, token, end="2026-01-01")  # twelve months before it
    assert only_end.status_code == 200 and only_end.json()["first_month"] == "2025-01"


def test_the_cli_signs_a_household_by_id(homes) -> None:  # type: ignore[no-untyped-def]
    client, c = homes

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_module(
            "api", "sign-household", *args, "--config", c.sites, "--db-url", c.db_url,
            env={"ENERGY_API_SIGNING_KEY": KEY}, timeout=60,
        )  # fmt: skip

    done = run("--household", "park-0002")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines())
    token = lines["token"].strip()
    assert token == household_link("park-0002", KEY)
    assert lines["page"].strip().endswith(f"/household?token={token}")
    assert _months(client, token).json()["household"] == "park-0002"
    refused = run("--household", "nobody")
    assert refused.returncode == 2 and "nobody" in refused.stderr
    assert run("kim-home", "--household", "kim-0001").returncode == 2  # one or the other
