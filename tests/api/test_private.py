"""Facility, household and operator routes: tokens, and each sees only its own data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from telemetry.influx_schema import rollup_from
from tests.api.conftest import ADMIN, SITE_TOKENS, ApiCity
from tests.rollup import city
from tests.support.links import household_link, retired_link

pytestmark = pytest.mark.timeout(120)
PROBLEM = "application/problem+json"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PRIVATE_ROUTES = [
    "/v1/facility/sites",
    "/v1/facility/sites/ind-1/meters",
    "/v1/facility/sites/ind-1/meters/main-elec/series",
    "/v1/facility/sites/ind-1/meters/main-elec/consumption",
    "/v1/household/usage",
    "/v1/household/savings",
    "/v1/admin/agents",
    "/v1/admin/rejected",
]


@pytest.mark.parametrize("path", PRIVATE_ROUTES)
@pytest.mark.parametrize("headers", [{}, _bearer("wrong"), {"Authorization": "Basic eDp5"}])
def test_missing_or_wrong_token_is_refused(api_city: ApiCity, path: str, headers: dict) -> None:
    r = api_city.client.get(path, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_site_token_opens_only_its_site(api_city: ApiCity) -> None:
    client = api_city.client
    mine = client.get("/v1/facility/sites", headers=_bearer(SITE_TOKENS["ind-1"])).json()
    assert [s["id"] for s in mine] == ["ind-1"]
    for path in ("/v1/facility/sites/apt/meters", "/v1/facility/sites/apt/meters/pv-roof/series"):
        r = client.get(path, headers=_bearer(SITE_TOKENS["ind-1"]))
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    # Household tokens and site tokens are not interchangeable.
    r = client.get(
        "/v1/facility/sites", headers=_bearer(household_link("ind-1", "household-signing-key"))
    )
    assert r.status_code == 401


def test_facility_meters_with_last_values_and_status(api_city: ApiCity) -> None:
    r = api_city.client.get(
        "/v1/facility/sites/ind-1/meters", headers=_bearer(SITE_TOKENS["ind-1"])
    )
    meters = {(m["utility"], m["meter"]): m for m in r.json()}
    assert set(meters) == {("electricity", "main-elec"), ("solar", "pv-roof")}
    elec = meters[("electricity", "main-elec")]
    spec = next(m for m in city.meters() if m.site == "ind-1" and m.utility == "electricity")
    assert elec["values"]["power_kw"] == spec.rate
    assert elec["status"] in ("ok", "stale") and elec["last_seen"]


def test_facility_meter_series_and_consumption(api_city: ApiCity) -> None:
    c = api_city.city
    headers = _bearer(SITE_TOKENS["ind-1"])
    series = api_city.client.get(
        "/v1/facility/sites/ind-1/meters/main-elec/series", params={"every": "1h"}, headers=headers
    ).json()
    assert series["aggregate"] == "mean" and series["unit"] == "kW"
    assert series["points"] and all(p["value"] == pytest.approx(110.0) for p in series["points"])
    used = api_city.client.get(
        "/v1/facility/sites/ind-1/meters/main-elec/consumption",
        params={"every": "hour"},
        headers=headers,
    ).json()
    rows = c.ql.rows(
        f"SELECT consumption FROM {rollup_from('meter_consumption_1h')} WHERE site = 'ind-1' AND meter = 'main-elec'",
        c.raw,
    )
    assert sum(p["consumption"] for p in used["points"]) == pytest.approx(
        sum(r["consumption"] for r in rows)
    )
    bad = api_city.client.get(
        "/v1/facility/sites/ind-1/meters/main-elec/series",
        params={"field": "volume_m3"},
        headers=headers,
    )
    assert bad.status_code == 400 and "volume_m3" in bad.json()["detail"]


def _meter_total(api_city: ApiCity, site: str) -> float:
    rows = api_city.city.ql.rows(
        f"SELECT sum(consumption) FROM {rollup_from('meter_consumption_1h')} WHERE site = '{site}'",
        api_city.city.raw,
    )
    return rows[0]["sum"]


def test_a_household_sees_its_own_use_only(api_city: ApiCity) -> None:
    client = api_city.client
    params = {"every": "hour"}
    one = client.get(
        "/v1/household/usage", params=params, headers=_bearer(api_city.household_token("hh-1"))
    )
    two = client.get(
        "/v1/household/usage", params={**params, "token": api_city.household_token("hh-2")}
    )
    assert one.status_code == two.status_code == 200
    assert one.json()["total"] == pytest.approx(_meter_total(api_city, "hh-1"))
    assert two.json()["total"] == pytest.approx(_meter_total(api_city, "hh-2"))
    assert one.json()["total"] != pytest.approx(two.json()["total"])
    # hh-1's signature does not open hh-2, however the token is put together.
    token = api_city.household_token("hh-1")
    forged_ones = (
        token.replace("h.hh-1", "h.hh-2"),
        "hh-2",
        token + "x",
        household_link("hh-2", "other-key"),
        retired_link("hh-2"),
    )
    for forged in forged_ones:
        r = client.get("/v1/household/usage", params={"token": forged})
        assert r.status_code == 401, forged
    # A signed token for a site that is not a household (an apartment complex) opens nothing.
    assert (
        client.get(
            "/v1/household/usage", params={"token": api_city.household_token("apt")}
        ).status_code
        == 401
    )
    # A site token is no household token either.
    r = client.get("/v1/household/usage", headers=_bearer(SITE_TOKENS["apt"]))
    assert r.status_code == 401


def test_household_savings_against_last_year(api_city: ApiCity) -> None:
    days = api_city.history["days_now"]
    from stores.timewin import from_ms

    start, end = (
        from_ms(days[0]).date().isoformat(),
        from_ms(days[-1] + 86_400_000).date().isoformat(),
    )
    body = api_city.client.get(
        "/v1/household/savings",
        params={"start": start, "end": end},
        headers=_bearer(api_city.household_token("hh-3")),
    ).json()
    assert body["baseline"] == "previous_year"
    assert body["consumption"] == pytest.approx(7 * 5.0)
    assert body["baseline_consumption"] == pytest.approx(7 * 8.0)
    assert body["savings"] == pytest.approx(21.0)
    assert body["co2e_avoided_kg"] == pytest.approx(21.0 * 0.4173)


def test_operators_see_agents_and_rejected_counts(api_city: ApiCity) -> None:
    client = api_city.client
    agents = {a["agent"]: a for a in client.get("/v1/admin/agents", headers=_bearer(ADMIN)).json()}
    assert agents["ind-1-gw"]["state"] == "online"
    assert agents["apt-gw"]["state"] == "unknown"  # registered, never reported
    counts = client.get("/v1/admin/rejected", headers=_bearer(ADMIN)).json()
    assert counts["by_reason"] == api_city.history["rejected"]
    assert counts["total"] == sum(api_city.history["rejected"].values())
    # Site and household tokens do not open the operators' routes.
    for token in (SITE_TOKENS["ind-1"], api_city.household_token("hh-1")):
        assert client.get("/v1/admin/agents", headers=_bearer(token)).status_code == 401


def test_household_savings_against_the_week_before_its_programme(api_city: ApiCity) -> None:
    from stores.timewin import from_ms
    from telemetry.registry import load_registry
    from telemetry.registry.household_registry import HouseholdRegistry
    from telemetry.registry.households import Enrolment, Household, Programme
    from tests.api.conftest import build_app

    days = api_city.history["days_now"]
    joined = from_ms(days[0]).date()
    # The household of site hh-3 joined a programme on the window's first day.
    programme = Programme(
        id="retrofit", name_ko="개선", name_en="Retrofit", kind="retrofit", start=joined
    )
    home = Household(
        id="hh-3",
        site="hh-3",
        building_type="detached_house",
        size_band="60-85",
        enrolments=[Enrolment(programme="retrofit", start=joined)],
    )
    sites = load_registry(api_city.city.sites).sites
    homes = HouseholdRegistry({"retrofit": programme}, {"hh-3": home}, sites)
    app = build_app(api_city.city, api_city.public_ql, api_city.private_ql, households=homes)
    end = from_ms(days[-1] + 86_400_000).date().isoformat()
    with TestClient(app) as client:
        body = client.get(
            "/v1/household/savings",
            params={"start": joined.isoformat(), "end": end},
            headers=_bearer(api_city.household_token("hh-3")),
        ).json()
    assert body["baseline"] == "before_programme"
    assert body["baseline_end"].startswith(joined.isoformat())
    assert body["baseline_consumption"] == pytest.approx(7 * 6.0)
    assert body["savings"] == pytest.approx(7.0)
