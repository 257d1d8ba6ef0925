"""The site page, its stream and its CSV over the rolled-up test city (real InfluxDB)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from fastapi import FastAPI

from stores.timewin import KST
from tests.rollup.city import MINUTE
from tests.rollup.conftest import RolledCity
from tests.staff.people import staff_member
from tests.web.test_pages import tags

SITE = "ind-1"


def panels(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'data-meter="([^"]+)" data-utility="([^"]+)"', html))


def test_the_page_has_every_meter_of_the_site_with_status_and_values(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    r = manager.get(f"/facility/{SITE}?lang=en")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "private, no-store"
    assert panels(r.text) == {("main-elec", "electricity"), ("pv-roof", "solar")}
    assert "Live" in r.text and "Power" in r.text and "kW" in r.text
    # today's use per utility from the hourly rollup: both utilities of the site
    today = r.text.split('id="fac-today"')[1].split("</table>")[0]
    assert 'data-utility="electricity"' in today and 'data-utility="solar"' in today
    # a sparkline per meter of its rate over the last 3 hours, its range in words
    assert r.text.count('class="spark-line"') == 2
    assert "Power, last 3 hours (5-minute means): 110.0 to 110.0 kW" in r.text
    assert "30.0 to 30.0 kW" in r.text  # the solar inverter
    korean = manager.get(f"/facility/{SITE}").text
    assert "수신 중" in korean and "전력" in korean


def test_the_stream_sends_the_sites_meters(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    with manager.client.stream("GET", f"/facility/{SITE}/stream?max_events=2") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert len(events) == 2
    for e in events:
        assert e["site"] == SITE
        assert {(m["meter"], m["utility"]) for m in e["meters"]} == {
            ("main-elec", "electricity"),
            ("pv-roof", "solar"),
        }
        elec = next(m for m in e["meters"] if m["utility"] == "electricity")
        assert {v["field"] for v in elec["values"]} == {"power_kw", "energy_kwh", "voltage_v"}


def test_the_csv_has_the_meters_readings_in_the_period(app: FastAPI, rolled: RolledCity) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    first = dt.datetime.fromtimestamp(rolled.start_ms / 1000, KST).date()
    last = dt.datetime.fromtimestamp(rolled.end_ms / 1000, KST).date()
    r = manager.get(f"/facility/{SITE}/readings.csv?meter=main-elec&start={first}&end={last}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    good = [row for row in rows if row["quality"] == "good"]
    # one good reading a minute over the whole window, and the one bad reading kept as bad
    assert len(good) == (rolled.end_ms - rolled.start_ms) // MINUTE
    assert len(rows) == len(good) + 1
    times = [int(row["time_utc_ms"]) for row in rows]
    assert times == sorted(times)
    too_long = manager.get(
        f"/facility/{SITE}/readings.csv?meter=main-elec&start=2026-01-01&end=2026-03-01"
    )
    assert too_long.status_code == 400


@pytest.mark.parametrize("path", [f"/facility/{SITE}", "/facility", "/operations"])
def test_staff_pages_have_no_inline_script_or_style_and_are_not_cached(
    app: FastAPI, path: str
) -> None:
    operator = staff_member(app, "lee", "operator")
    for lang, query in (("ko", ""), ("en", "?lang=en")):
        r = operator.get(path + query)
        assert r.status_code == 200, r.text
        assert f'<html lang="{lang}">' in r.text
        assert r.headers["cache-control"] == "private, no-store"
        policy = r.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        found = tags(r.text)
        scripts = [a for t, a in found if t == "script"]
        assert all(a.get("src", "").startswith("/static/") for a in scripts)
        assert not [t for t, a in found if "style" in a or t == "style"]
        assert not [a for t, a in found for k in a if k.startswith("on")]


def test_the_json_route_and_the_stream_agree(app: FastAPI) -> None:
    manager = staff_member(app, "park", "facility_manager", sites=(SITE,))
    route = manager.get(f"/v1/facility/sites/{SITE}/meters").json()
    with manager.client.stream("GET", f"/facility/{SITE}/stream?max_events=1") as r:
        body = "".join(r.iter_text())
    event = json.loads(next(x[6:] for x in body.splitlines() if x.startswith("data: ")))
    assert {(m["meter"], m["status"]) for m in route} == {
        (m["meter"], m["status"]) for m in event["meters"]
    }
    for m in event["meters"]:
        listed = next(x for x in route if x["meter"] == m["meter"])
        assert {v["field"]: v["value"] for v in m["values"]}.items() <= listed["values"].items()
