"""The generated dashboard JSON: uids, data source references, citizens' rules, freshness."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dashboards.build import PACKAGE_DIR, rendered
from dashboards.catalog import CITIZENS, FOLDERS
from dashboards.check import load_boards
from dashboards.datasources import ALL, PUBLIC, STAFF
from dashboards.interpolate import expected_columns
from telemetry import influx_schema
from telemetry.fields import Utility

BOARDS = load_boards()
DATASOURCE_UIDS = {d.uid for d in ALL}


def _refs(node: Any) -> list[dict[str, Any]]:
    """Every data source reference anywhere in a board."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict):
            found.append(node["datasource"])
        for value in node.values():
            found += _refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _refs(value)
    return found


def _citizens(board: dict[str, Any]) -> bool:
    return board["uid"].startswith("citizens-")


def _targets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in board["panels"] if p["type"] != "row" for t in p["targets"]]


def test_committed_files_equal_a_fresh_build() -> None:
    stale = [
        str(rel)
        for rel, text in rendered().items()
        if not (PACKAGE_DIR / rel).is_file()
        or (PACKAGE_DIR / rel).read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run `python -m dashboards build` and commit the result"
    on_disk = {p.relative_to(PACKAGE_DIR) for p in (PACKAGE_DIR / "generated").glob("*/*.json")}
    assert on_disk == {rel for rel in rendered() if rel.parts[0] == "generated"}


def test_expected_boards_exist() -> None:
    uids = {b["uid"] for b in BOARDS}
    assert {"facility-live", "operations", "citizens-city"} <= uids
    districts = {uid for uid in uids if re.fullmatch(r"citizens-\d{5}", uid)}
    assert len(districts) == 5  # one per autonomous district of Gwangju


def test_board_and_folder_uids_are_unique_and_stable() -> None:
    uids = [b["uid"] for b in BOARDS] + [f.uid for f in FOLDERS]
    assert len(uids) == len(set(uids))
    assert all(re.fullmatch(r"[a-z0-9-]{1,40}", uid) for uid in uids)


def test_panel_ids_are_unique_within_each_board() -> None:
    for board in BOARDS:
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]


def test_every_data_source_reference_resolves() -> None:
    for board in BOARDS:
        refs = _refs(board)
        assert refs, board["uid"]
        unknown = [
            r for r in refs if r.get("uid") not in DATASOURCE_UIDS or r.get("type") != "influxdb"
        ]
        assert unknown == [], board["uid"]


def test_citizens_boards_have_no_variables_and_only_the_public_source() -> None:
    citizens = [b for b in BOARDS if _citizens(b)]
    assert citizens
    for board in citizens:
        assert board["templating"]["list"] == [], board["uid"]
        assert {r["uid"] for r in _refs(board)} == {PUBLIC.uid}, board["uid"]
        assert not any(
            "$" + "site" in t["query"] or "$meter" in t["query"] for t in _targets(board)
        )


def test_staff_boards_never_use_the_public_source() -> None:
    for board in (b for b in BOARDS if not _citizens(b)):
        assert {r["uid"] for r in _refs(board)} == {STAFF.uid}, board["uid"]


def test_citizens_read_only_rollups() -> None:
    public = {influx_schema.LIVE_1M, influx_schema.CONSUMPTION_1H, influx_schema.CONSUMPTION_1D}
    for board in (b for b in BOARDS if _citizens(b)):
        for target in _targets(board):
            names = set(re.findall(r'FROM "(\w+)"', target["query"]))
            assert names and names <= public, (board["uid"], target["query"])


def test_every_target_is_raw_influxql_never_flux() -> None:
    for board in BOARDS:
        for target in _targets(board):
            assert target["rawQuery"] is True
            assert target["query"].startswith(("SELECT ", "SHOW "))
            assert "from(bucket" not in target["query"] and "|>" not in target["query"]
            assert expected_columns(target["query"])[0] == "time"


def test_queries_name_only_schema_measurements() -> None:
    known = {u.value for u in Utility} | {
        getattr(influx_schema, n)
        for n in dir(influx_schema)
        if n.isupper() and isinstance(getattr(influx_schema, n), str) and n not in ("GROUP_ALL",)
    }
    for board in BOARDS:
        for target in _targets(board):
            for name in re.findall(r'FROM "(\w+)"', target["query"]):
                assert name in known, (board["uid"], name)


def test_facility_board_has_site_and_meter_variables() -> None:
    board = next(b for b in BOARDS if b["uid"] == "facility-live")
    names = [v["name"] for v in board["templating"]["list"]]
    assert names == ["site", "meter"]
    assert all("$site" in t["query"] for t in _targets(board))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.uid)
def test_each_folder_has_boards(folder) -> None:  # type: ignore[no-untyped-def]
    assert list((PACKAGE_DIR / "generated" / folder.directory).glob("*.json"))
    assert folder.citizens == (folder is CITIZENS)


def test_panels_fit_the_grid_without_overlapping() -> None:
    for board in BOARDS:
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, (board["uid"], panel["title"])
            area = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not area & cells, (board["uid"], panel["title"])
            cells |= area


def test_time_ranges_follow_grafana() -> None:
    from datetime import UTC, datetime

    from dashboards.interpolate import ZONE, time_range

    now = datetime(2028, 2, 29, 3, 30, tzinfo=UTC)  # 12:30 KST on a leap day
    today = time_range("now-6h", now, "now/d")
    assert today.start == datetime(2028, 2, 29, 0, 0, tzinfo=ZONE) and today.end == now
    last_year = time_range("now-6h", now, "now/M", "1y")
    assert last_year.start == datetime(2027, 2, 1, 0, 0, tzinfo=ZONE)
    assert last_year.end == datetime(2027, 2, 28, 3, 30, tzinfo=UTC)
    assert time_range("now-6h", now, "15m").start == datetime(2028, 2, 29, 3, 15, tzinfo=UTC)


def test_panels_show_figures_with_the_public_rounding() -> None:
    """A panel in kW, kWh, m³, m³/h or kg shows decimals: the API's (unless it sets its own)."""
    from dashboards.model import GRAFANA_UNITS
    from telemetry.rounding import UNIT_DECIMALS

    checked = 0
    for board in BOARDS:
        for panel in board["panels"]:
            defaults = panel.get("fieldConfig", {}).get("defaults", {})
            if defaults.get("unit") in GRAFANA_UNITS:
                assert "decimals" in defaults, (board["uid"], panel["title"])
                checked += 1
    assert checked
    assert set(GRAFANA_UNITS.values()) <= set(UNIT_DECIMALS)
