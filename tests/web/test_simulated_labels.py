"""Simulated says so: every surface carrying a figure of simulated sites says it.

The test city with three of its sites flagged `simulated`, rolled up by the real
rollup process; the app over it. Enumerated: the portal's pages and embeds (a
note in both languages), the JSON figures (`simulated_sites` beside `sites`),
the open-data CSV (a `simulated_sites` column). A registry of real sites only
shows no note and writes no count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from devstack import InfluxServer
from stores.reference import Reference
from telemetry.influxql import InfluxQL
from telemetry.registry import load_geography, load_registry
from tests.api.conftest import build_app
from tests.rollup.conftest import RolledCity, write_city

SIMULATED = ("ind-1", "ind-2", "ind-3")
PAGES = ("/", "/map", "/building-types", "/about", "/districts/29200", "/dongs/2920064000")
EMBEDS = ("/embed/city", "/embed/districts/29200", "/embed/dongs/2920064000")


def _flag(sites: Path) -> int:
    """Mark SIMULATED as simulated sites; the registry's number of sites."""
    text = sites.read_text(encoding="utf-8")
    for site in SIMULATED:
        text = text.replace(f"  - id: {site}\n", f"  - id: {site}\n    simulated: true\n")
    sites.write_text(text, encoding="utf-8")
    return len(load_registry(sites).sites)


@pytest.fixture(scope="module")
def labelled(
    rollup_influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, int]]:
    c: RolledCity = write_city(rollup_influx, tmp_path_factory.mktemp("simulated"))
    total = _flag(c.sites)
    c.rollup()
    ql = InfluxQL(rollup_influx.url)
    try:
        yield TestClient(build_app(c, ql, ql)), total
    finally:
        ql.close()
        c.ql.close()


@pytest.mark.parametrize("path", [*PAGES, *EMBEDS])
def test_every_page_and_embed_says_its_figures_rest_on_simulated_meters(
    labelled: tuple[TestClient, int], path: str
) -> None:
    client, total = labelled
    ko = client.get(path)
    assert ko.status_code == 200, ko.text[:300]
    assert 'id="simulated-note"' in ko.text
    assert f"등록된 사업장 {total}곳 가운데 {len(SIMULATED)}곳은" in ko.text
    en = client.get(path, params={"lang": "en"})
    assert f"{len(SIMULATED)} of the {total} registered sites are simulated" in en.text


def test_json_figures_count_their_simulated_sites(labelled: tuple[TestClient, int]) -> None:
    client, _total = labelled
    live = client.get("/v1/city/live").json()
    shown = [u for u in live["utilities"] if u["status"] == "ok"]
    assert shown and all(u["simulated_sites"] is not None for u in shown)
    elec = next(u for u in shown if u["utility"] == "electricity")
    assert elec["simulated_sites"] == len(SIMULATED)  # the three are industrial sites
    series = client.get("/v1/city/consumption", params={"utility": "electricity",
                                                        "every": "hour"}).json()  # fmt: skip
    points = [p for p in series["points"] if p["status"] == "ok"]
    assert points and {p["simulated_sites"] for p in points} == {len(SIMULATED)}
    assert all(p["simulated_sites"] <= p["sites"] for p in points)
    districts = [u for d in live["districts"] for u in d["utilities"] if u["status"] == "ok"]
    assert districts and all(u["simulated_sites"] is not None for u in districts)
    ranking = client.get("/v1/rankings/dongs", params={"utility": "electricity"}).json()
    shown = [d for d in ranking["dongs"] if d["status"] == "ok"]
    assert shown and all(d["simulated_sites"] is not None for d in shown)
    assert sum(d["simulated_sites"] for d in shown) == len(SIMULATED)


def test_the_open_data_csv_has_a_simulated_sites_column(labelled: tuple[TestClient, int]) -> None:
    client, _total = labelled
    r = client.get("/v1/open-data/consumption.csv", params={"utility": "electricity",
                                                            "level": "city", "every": "hour"})  # fmt: skip
    assert r.status_code == 200, r.text[:300]
    lines = [ln for ln in r.text.lstrip("\ufeff").splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    ok = [row for row in rows if row["status"] == "ok"]
    assert ok and {row["simulated_sites"] for row in ok} == {str(len(SIMULATED))}


def test_a_registry_of_real_sites_shows_no_note(tmp_path: Path) -> None:
    from tests.rollup import city

    registry = load_registry(city.write_sites(tmp_path))
    assert Reference(load_geography(), registry, 5).simulated() is None
