"""Public routes over the rolled-up city: numbers equal brute force, privacy holds."""

from __future__ import annotations

import csv
import io
import json

import pytest
from influxdb_client import Point

from stores.timewin import KST, from_ms
from telemetry.rounding import round_figure
from tests.api.conftest import ORIGIN, ApiCity
from tests.rollup import brute, city

pytestmark = pytest.mark.timeout(120)
PROBLEM = "application/problem+json"


def _shown(truth: float, unit: str) -> object:
    """What the API shows for `truth`: rounded by the public rule (telemetry.rounding)."""
    return pytest.approx(round_figure(truth, unit), rel=1e-9, abs=0)


def _iso(ms: int) -> str:
    return from_ms(ms).isoformat()


def test_city_live_equals_brute_force(api_city: ApiCity) -> None:
    body = api_city.client.get("/v1/city/live").json()
    assert body["minute"] is not None
    minute = int(from_ms(0).fromisoformat(body["minute"]).timestamp() * 1000)
    expected = brute.live(api_city.city.ql, api_city.city.raw)
    by_utility = {u["utility"]: u for u in body["utilities"]}
    elec = expected[("electricity", "all", "all", "all", minute)]
    solar = expected[("solar", "all", "all", "all", minute)]
    assert by_utility["electricity"]["rate"] == _shown(elec[0], "kW")
    assert by_utility["electricity"]["meters"] == elec[1]
    assert body["self_sufficiency"]["ratio"] == _shown(solar[0] / elec[0], "ratio")
    districts = {d["code"]: d for d in body["districts"]}
    ind = {u["utility"]: u for u in districts["29200"]["utilities"]}
    assert ind["electricity"]["rate"] == _shown(
        expected[("electricity", "29200", "all", "all", minute)][0], "kW"
    )
    assert ind["gas"]["status"] == "no_data"


def test_district_series_equals_brute_force_across_the_meter_replacement(api_city: ApiCity) -> None:
    c = api_city.city
    start, end = c.start_ms, c.start_ms + 3 * city.HOUR  # the hour of ind-2's replacement inside
    r = api_city.client.get(
        "/v1/districts/29200/consumption",
        params={"utility": "electricity", "every": "hour", "start": _iso(start), "end": _iso(end)},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    expected = brute.hourly_consumption(c.ql, c.raw)
    got = [(p["start"], p["consumption"]) for p in body["points"]]
    want = [
        (_iso(h), expected[("electricity", "29200", "all", "all", h)])
        for h in range(start, end, city.HOUR)
    ]
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, value), (_, truth) in zip(got, want, strict=True):
        assert value == _shown(truth, "kWh")
    assert body["total"]["consumption"] == _shown(sum(w[1] for w in want), "kWh")
    assert body["total"]["co2e_kg"] == _shown(sum(w[1] for w in want) * 0.4173, "kg")
    # The previous period (3 hours before) has no data: the comparison says so.
    assert body["previous_period"]["consumption"] is None
    assert body["previous_year"]["status"] in ("no_data", "suppressed")


def test_previous_period_comparison(api_city: ApiCity) -> None:
    c = api_city.city
    start = c.start_ms + city.HOUR
    r = api_city.client.get(
        "/v1/city/consumption",
        params={"every": "hour", "start": _iso(start), "end": _iso(start + city.HOUR)},
    ).json()
    expected = brute.hourly_consumption(c.ql, c.raw)
    now = expected[("electricity", "all", "all", "all", start)]
    before = expected[("electricity", "all", "all", "all", c.start_ms)]
    assert r["total"]["consumption"] == _shown(now, "kWh")
    assert r["previous_period"]["consumption"] == _shown(before, "kWh")
    assert r["previous_period"]["change_pct"] == _shown((now - before) / before * 100, "%")


def _no_number(entry: dict) -> None:
    assert entry["status"] == "suppressed", entry
    assert "k=5" in entry["reason"]
    for key in ("rate", "consumption", "co2e_kg", "per_household", "ratio"):
        assert entry.get(key) is None, entry


def test_group_below_k_is_suppressed_in_every_public_route(api_city: ApiCity) -> None:
    client, c = api_city.client, api_city.city
    span = {"every": "hour", "start": _iso(c.start_ms), "end": _iso(c.start_ms + 2 * city.HOUR)}
    live = client.get("/v1/city/live").json()
    district = next(d for d in live["districts"] if d["code"] == city.SUPPRESSED_DISTRICT)
    for figure in district["utilities"]:
        _no_number(figure)
    _no_number(district["self_sufficiency"])
    for path in (
        f"/v1/districts/{city.SUPPRESSED_DISTRICT}/consumption",
        f"/v1/districts/{city.SUPPRESSED_DISTRICT}/dongs/{city.SUPPRESSED_DONG}/consumption",
        "/v1/building-types/detached_house/consumption",
    ):
        body = client.get(path, params=span).json()
        for point in body["points"]:
            _no_number(point)
        for total in (body["total"], body["previous_period"], body["previous_year"]):
            _no_number(total)
    ranking = client.get("/v1/rankings/dongs").json()["dongs"]
    _no_number(next(d for d in ranking if d["dong"] == city.SUPPRESSED_DONG))
    for fmt in ("json", "csv"):
        for level in ("district", "dong", "building_type"):
            text = client.get(
                f"/v1/open-data/consumption.{fmt}", params={**span, "level": level}
            ).text
            assert city.SUPPRESSED_DISTRICT not in text and "detached_house" not in text
    events = client.get("/v1/city/stream", params={"max_events": 1}).text
    data = json.loads(next(line for line in events.splitlines() if line.startswith("data:"))[5:])
    for figure in next(d for d in data["districts"] if d["code"] == city.SUPPRESSED_DISTRICT)[
        "utilities"
    ]:
        _no_number(figure)


def test_ranking_by_consumption_per_household(api_city: ApiCity) -> None:
    c = api_city.city
    body = api_city.client.get("/v1/rankings/dongs").json()
    ranked = [d for d in body["dongs"] if d["rank"] is not None]
    assert [d["dong"] for d in ranked] == [city.APARTMENT_DONG[1]]
    rows = c.ql.rows(
        f"SELECT sum(consumption) FROM consumption_1d WHERE dong = '{city.APARTMENT_DONG[1]}' "
        "AND building_type = 'all' AND utility = 'electricity'",
        c.public,
    )
    assert ranked[0]["per_household"] == _shown(rows[0]["sum"] / 840, "kWh")
    industrial = next(d for d in body["dongs"] if d["dong"] == city.INDUSTRIAL_DONG[1])
    assert industrial["rank"] is None and industrial["households"] == 0


def test_open_data_csv_and_json_agree_with_the_public_bucket(api_city: ApiCity) -> None:
    c = api_city.city
    params = {
        "level": "dong",
        "utility": "electricity",
        "every": "hour",
        "start": _iso(c.start_ms),
        "end": _iso(c.start_ms + 2 * city.HOUR),
    }
    r = api_city.client.get("/v1/open-data/consumption.csv", params=params)
    assert r.headers["content-type"].startswith("text/csv")
    assert 'rel="license"' in r.headers["link"]
    lines = r.text.splitlines()
    assert lines[0].startswith("# Licence: ")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert {"period_start", "district_code", "dong_code", "consumption_kwh", "co2e_kg"} <= set(
        rows[0]
    )
    expected = brute.hourly_consumption(c.ql, c.raw)
    # The schools' dong, withheld to protect the households' dong, is listed without figures.
    withheld = [r for r in rows if r["status"] == "withheld"]
    assert {r["dong_code"] for r in withheld} == {city.SCHOOL_DONG[1]}
    assert all(r["withheld_reason"] == "protects_another_cell" for r in withheld)
    assert all(r["consumption_kwh"] == r["households"] == "" for r in withheld)
    rows = [r for r in rows if r["status"] == "ok"]
    for row in rows:
        key = (
            "electricity",
            row["district_code"],
            row["dong_code"],
            "all",
            int(from_ms(0).fromisoformat(row["period_start"]).timestamp() * 1000),
        )
        assert float(row["consumption_kwh"]) == _shown(expected[key], "kWh")
    assert {r["dong_code"] for r in rows} == {city.INDUSTRIAL_DONG[1], city.APARTMENT_DONG[1]}
    body = api_city.client.get("/v1/open-data/consumption.json", params=params).json()
    assert body["licence"]["url"].startswith("https://")
    assert len(body["rows"]) == len(rows) + len(withheld)
    daily = api_city.client.get("/v1/open-data/consumption.json", params={"level": "city"}).json()
    assert all(len(r["period_start"]) == 10 for r in daily["rows"])  # ISO dates


def test_reference_routes(api_city: ApiCity) -> None:
    client = api_city.client
    districts = client.get("/v1/districts").json()
    assert {d["code"] for d in districts} == {"29110", "29140", "29155", "29170", "29200"}
    dongs = client.get("/v1/districts/29200/dongs").json()
    assert any(d["code"] == "2920064000" for d in dongs) and all(
        d["district"] == "29200" for d in dongs
    )
    assert "apartment" in {b["code"] for b in client.get("/v1/building-types").json()}


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/v1/districts/99999/dongs", {}, 404, None),
        ("/v1/districts/29200/dongs/2914083000/consumption", {}, 404, None),
        ("/v1/city/consumption", {"every": "week"}, 422, "query.every"),
        ("/v1/city/consumption", {"every": "day", "utility": ["gas", "heat"]}, 400, "utility"),
        ("/v1/city/consumption", {"start": "yesterday"}, 400, "start"),
        ("/v1/city/consumption", {"utility": "coal"}, 422, "query.utility"),
    ],
)
def test_bad_input_is_a_clear_problem(api_city: ApiCity, path, params, status, field) -> None:  # type: ignore[no-untyped-def]
    r = api_city.client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field:
        assert any(e["field"] == field for e in body["errors"]), body


def test_cache_headers_and_cors(api_city: ApiCity) -> None:
    client = api_city.client
    assert client.get("/v1/city/live").headers["cache-control"] == "public, max-age=15"
    assert client.get("/v1/districts").headers["cache-control"] == "public, max-age=3600"
    private = client.get("/v1/facility/sites", headers={"Authorization": "Bearer apt-secret"})
    assert private.headers["cache-control"] == "private, no-store"
    # Public figures are open to any origin, without credentials (api/cors.py).
    ok = client.options(
        "/v1/city/live", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert ok.headers.get("access-control-allow-origin") == "*"
    other = client.get("/v1/city/live", headers={"Origin": "https://evil.example"})
    assert other.headers.get("access-control-allow-origin") == "*"
    assert "access-control-allow-credentials" not in other.headers


def test_stream_sends_live_events(api_city: ApiCity) -> None:
    r = api_city.client.get("/v1/city/stream", params={"max_events": 2})
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [b for b in r.text.split("\n\n") if b.startswith("event: live")]
    assert len(events) == 2
    data = json.loads(events[0].split("data: ", 1)[1])
    assert data == api_city.client.get("/v1/city/live").json()
    assert KST  # days and minutes are shown in KST


def test_month_series_sums_the_days_of_each_korean_month(api_city: ApiCity) -> None:
    c = api_city.city
    body = api_city.client.get("/v1/city/consumption", params={"every": "month"}).json()
    assert len(body["points"]) == 12 and body["every"] == "month"
    rows = c.ql.rows(
        "SELECT consumption, co2e_kg FROM consumption_1d WHERE utility = 'electricity' "
        "AND district = 'all' AND building_type = 'all'",
        c.public,
        epoch="ms",
    )
    by_month: dict[str, float] = {}
    for r in rows:
        start = from_ms(r["time"]).replace(day=1).isoformat()
        by_month[start] = by_month.get(start, 0.0) + r["consumption"]
    got = {p["start"]: p["consumption"] for p in body["points"] if p["status"] == "ok"}
    assert got.keys() == by_month.keys() and got
    for start, value in by_month.items():
        assert got[start] == _shown(value, "kWh")
    assert all(p["start"].endswith("T00:00:00+09:00") for p in body["points"])


def _complementary(entry: dict) -> None:
    assert entry["status"] == "suppressed", entry
    assert "derived by subtraction" in entry["reason"] and "k=5" in entry["reason"], entry
    for key in ("rate", "consumption", "co2e_kg", "per_household", "ratio"):
        assert entry.get(key) is None, entry


def _no_data(entry: dict) -> None:
    assert entry["status"] == "no_data", entry
    assert "subtraction" not in entry["reason"], entry


def test_complementary_withheld_group_is_suppressed_not_no_data(api_city: ApiCity) -> None:
    """The schools (k sites, withheld so that city - other districts does not give the
    households) and Seo-gu's solar (apt's, withheld so that city - Seo-gu does not give
    ind-1's) are `suppressed` with the complementary reason; groups without data `no_data`."""
    client, c = api_city.client, api_city.city
    school_district, school_dong = city.SCHOOL_DONG
    live = client.get("/v1/city/live").json()
    districts = {d["code"]: {u["utility"]: u for u in d["utilities"]} for d in live["districts"]}
    _complementary(districts[school_district]["electricity"])
    _complementary(districts[city.APARTMENT_DONG[0]]["solar"])
    assert districts[city.APARTMENT_DONG[0]]["electricity"]["status"] == "ok"
    _no_data(districts[school_district]["gas"])
    _no_data(districts["29110"]["electricity"])  # no sites at all
    _complementary(
        next(d for d in live["districts"] if d["code"] == school_district)["self_sufficiency"]
    )
    # The below-k group keeps its own reason.
    assert "fewer than k=5" in districts[city.SUPPRESSED_DISTRICT]["electricity"]["reason"]

    span = {"every": "hour", "start": _iso(c.start_ms), "end": _iso(c.start_ms + 2 * city.HOUR)}
    for path in (
        f"/v1/districts/{school_district}/consumption",
        f"/v1/districts/{school_district}/dongs/{school_dong}/consumption",
        "/v1/building-types/education/consumption",
    ):
        body = client.get(path, params=span).json()
        for point in body["points"]:
            _complementary(point)
        _complementary(body["total"])
        _no_data(body["previous_year"])  # nothing was ever written then
    solar = client.get(
        f"/v1/districts/{city.APARTMENT_DONG[0]}/consumption", params={**span, "utility": "solar"}
    ).json()
    for point in solar["points"]:
        _complementary(point)
    gas = client.get(
        f"/v1/districts/{school_district}/consumption", params={**span, "utility": "gas"}
    ).json()
    for point in gas["points"]:
        _no_data(point)
    _no_data(gas["total"])
    daily = client.get(f"/v1/districts/{school_district}/consumption").json()
    assert any(p["status"] == "suppressed" for p in daily["points"])
    assert {p["status"] for p in daily["points"]} <= {"suppressed", "no_data"}

    ranking = client.get("/v1/rankings/dongs").json()["dongs"]
    _complementary(next(d for d in ranking if d["dong"] == school_dong))
    below_k = next(d for d in ranking if d["dong"] == city.SUPPRESSED_DONG)
    assert below_k["status"] == "suppressed" and "fewer than k=5" in below_k["reason"]
    gas_ranking = client.get("/v1/rankings/dongs", params={"utility": "gas"}).json()["dongs"]
    _no_data(next(d for d in gas_ranking if d["dong"] == school_dong))


def test_a_figure_wins_over_a_stale_marker(api_city: ApiCity) -> None:
    """A marker left at a point that has a figure (a later pass published the group)
    never turns the figure into `suppressed`."""
    client, c = api_city.client, api_city.city
    district = city.APARTMENT_DONG[0]
    live = client.get("/v1/city/live").json()
    minute = int(from_ms(0).fromisoformat(live["minute"]).timestamp() * 1000)
    hours = [c.start_ms, c.start_ms + city.HOUR]
    stale = [
        Point("withheld")
        .tag("measurement", measurement)
        .tag("utility", "electricity")
        .tag("district", district)
        .tag("dong", "all")
        .tag("building_type", "all")
        .field("reason", "complementary")
        .time(ts, write_precision="ms")
        for measurement, ts in [("live_1m", minute), *(("consumption_1h", h) for h in hours)]
    ]
    city.write_points(c.url, c.public, stale)
    live = client.get("/v1/city/live").json()
    seo = next(d for d in live["districts"] if d["code"] == district)
    assert {u["utility"]: u for u in seo["utilities"]}["electricity"]["status"] == "ok"
    span = {"every": "hour", "start": _iso(hours[0]), "end": _iso(hours[1] + city.HOUR)}
    body = client.get(f"/v1/districts/{district}/consumption", params=span).json()
    assert [p["status"] for p in body["points"]] == ["ok", "ok"]
    assert body["total"]["status"] == "ok" and body["total"]["consumption"] > 0


def test_a_window_the_limits_do_not_allow_is_answered_and_says_how(api_city: ApiCity) -> None:
    """Schema-valid windows are never refused: too long for `every` → coarser, reversed →
    swapped, beyond 120 months → cut; the Window-Adjusted header says so."""
    client = api_city.client
    year = {"every": "hour", "start": "2025-01-01", "end": "2026-01-01"}
    r = client.get("/v1/city/consumption", params=year)
    assert r.status_code == 200, r.text
    assert r.json()["every"] == "day" and len(r.json()["points"]) == 365
    assert "every=day" in r.headers["window-adjusted"]
    reversed_ = client.get(
        "/v1/city/consumption", params={"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert reversed_.status_code == 200 and "swapped" in reversed_.headers["window-adjusted"]
    assert len(reversed_.json()["points"]) == 31
    ranked = client.get("/v1/rankings/dongs", params={"start": "2000-01-01", "end": "2026-01-01"})
    assert ranked.status_code == 200 and ranked.json()["start"].startswith("2023-12-31")  # 732 d
    assert "cut to" in ranked.headers["window-adjusted"]
    plain = client.get("/v1/city/consumption", params={"start": "2026-01-01", "end": "2026-01-08"})
    assert "window-adjusted" not in plain.headers
    csv_year = client.get("/v1/open-data/consumption.csv", params=year | {"level": "city"})
    assert csv_year.status_code == 200 and "every=day" in csv_year.headers["window-adjusted"]
    assert "-day.csv" in csv_year.headers["content-disposition"]
