"""A revision through the real rollup process and a real InfluxDB (issue 24): a factory's
readings of the last hour arrive late. The first run publishes the hour with the factory
at a third of its use (its dong is no longer dominated then); the second run, a new
process that reads the version it published back from the store, finds the dong
dominated. It withholds the new figure, keeps the published one with the date of the
withheld revision, marks the figures it revises, and the two versions of the public
tables give the attacker no protected group (LP audit)."""

from __future__ import annotations

import csv
import io
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.rollup.disclosure import Facts, UnitKey
from collector.rollup.groups import Group
from collector.rollup.periods import KST
from devstack import InfluxServer, flags
from telemetry.disclosure import DisclosureRules, audit, primary_needs
from telemetry.influx_schema import CONSUMPTION_1H, FIELD_REVISED, FIELD_REVISION_WITHHELD
from telemetry.influxql import InfluxQL
from telemetry.lineproto import line
from tests.api.conftest import build_app
from tests.disclosure.dominated_city import DISTRICT, FACTORY_DONG, SPECS, dominated_sites
from tests.disclosure.versions import seen, two_versions
from tests.rollup import city
from tests.rollup.conftest import RolledCity, fresh_db
from tests.support.processes import run_module

pytestmark = pytest.mark.timeout(240)

RULES = DisclosureRules(k=5)
LATE_FROM = 20  # the factory's readings from this minute of the hour arrive late
FACTORY = Group(DISTRICT, FACTORY_DONG, "all")


@dataclass
class Revised:
    city: RolledCity
    hour: int
    private: tuple[dict[Group, dict[str, Any]], dict[Group, dict[str, Any]]]
    public: tuple[dict[Group, dict[str, Any]], dict[Group, dict[str, Any]]]
    client: TestClient


def _rows(c: RolledCity, q: str, db: str) -> dict[Group, dict[str, Any]]:
    found = c.ql.rows(q, db, epoch="ms")
    return {Group(r["district"], r["dong"], r["building_type"]): r for r in found}


def _snapshot(c: RolledCity, hour: int) -> tuple[dict, dict]:
    """The hour's private group points (true figures) and public points."""
    where = (
        f"WHERE time = {hour}ms AND utility = 'electricity' GROUP BY district, dong, building_type"
    )
    private = _rows(
        c,
        f'SELECT consumption, holders, top1, top2, top3 FROM "rollups".{CONSUMPTION_1H} {where}',
        c.raw,
    )
    public = _rows(
        c,
        f"SELECT consumption, {FIELD_REVISED}, {FIELD_REVISION_WITHHELD} FROM {CONSUMPTION_1H} {where}",
        c.public,
    )
    return private, public


@pytest.fixture(scope="module")
def revised(influx: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Revised]:
    folder = tmp_path_factory.mktemp("revised")
    sites = folder / "sites.yaml"
    sites.write_text(dominated_sites(), encoding="utf-8")
    now = int(time.time() * 1000)
    hour = now - now % city.HOUR - city.HOUR
    minutes = int((now - hour) // city.MINUTE)
    raw, public = fresh_db(influx, "raw"), fresh_db(influx, "pub")
    on_time, late = [], []
    for s in SPECS:
        for i in range(minutes):
            p = city.point(s, hour + i * city.MINUTE, city.counter_at(s, i), s.rate, "good")
            (late if s.site == "fac" and i >= LATE_FROM else on_time).append(p)
    city.write_on_time(influx.url, raw, on_time)
    c = RolledCity(
        influx.url, raw, public, sites, hour, hour + minutes * city.MINUTE, InfluxQL(influx.url)
    )
    c.rollup()
    first = _snapshot(c, hour)
    city.write_arrived(influx.url, raw, late)
    c.rollup()  # a new process: the version before comes from the store
    second = _snapshot(c, hour)
    ql = InfluxQL(influx.url)
    with TestClient(build_app(c, ql, ql)) as client:
        yield Revised(c, hour, (first[0], second[0]), (first[1], second[1]), client)
    ql.close()
    c.ql.close()


def _facts(rows: dict[Group, dict[str, Any]], hour: int) -> dict[UnitKey, Facts]:
    return {
        ("electricity", hour, g): Facts(
            float(r["consumption"]),
            int(r["holders"]),
            tuple(float(r[t]) for t in ("top1", "top2", "top3") if r[t] is not None),
        )
        for g, r in rows.items()
    }


def _now_shown(public: dict[Group, dict[str, Any]]) -> set[Group]:
    """Groups whose public figure is the new version's: not left standing by a withheld
    revision."""
    return {
        g
        for g, r in public.items()
        if r[FIELD_REVISION_WITHHELD] is None
        or (r[FIELD_REVISED] or 0) >= r[FIELD_REVISION_WITHHELD]
    }


def test_the_dominated_revision_is_withheld_and_the_published_figure_stays(
    revised: Revised,
) -> None:
    (before, after), (shown_before, shown_after) = revised.private, revised.public
    assert FACTORY in shown_before  # published while the factory's use was in part
    assert after[FACTORY]["consumption"] > 2 * before[FACTORY]["consumption"]
    kept = shown_after[FACTORY]
    assert kept["consumption"] == pytest.approx(shown_before[FACTORY]["consumption"])
    assert kept[FIELD_REVISION_WITHHELD] is not None
    assert FACTORY not in _now_shown(shown_after)
    # Every figure shown now is the new version's, marked when revised.
    for g in _now_shown(shown_after):
        assert shown_after[g]["consumption"] == pytest.approx(after[g]["consumption"])
        changed = after[g]["consumption"] != pytest.approx(before[g]["consumption"])
        assert (shown_after[g][FIELD_REVISED] is not None) == changed


def test_the_two_versions_give_the_attacker_no_protected_group(revised: Revised) -> None:
    hour = revised.hour
    old, new = (_facts(rows, hour) for rows in revised.private)
    system = two_versions(old, new)
    _reasons, needs = primary_needs(system, RULES)
    assert any(n.unit == ("electricity", hour, FACTORY) for n in needs)
    published_before = {("electricity", hour, g) for g in revised.public[0]}
    published_now = {("electricity", hour, g) for g in _now_shown(revised.public[1])}
    assert audit(system, seen(published_before, published_now), needs) == []


def test_the_api_and_the_open_data_say_the_revision_is_withheld(revised: Revised) -> None:
    series = revised.client.get(
        f"/v1/districts/{DISTRICT}/dongs/{FACTORY_DONG}/consumption", params={"every": "hour"}
    ).json()
    point = next(p for p in series["points"] if p["revision_withheld"] is not None)
    assert point["status"] == "ok" and point["consumption"] is not None
    body = revised.client.get(
        "/v1/open-data/consumption.csv",
        params={"level": "dong", "every": "hour", "utility": "electricity"},
    ).text
    table = body.split("\n", 1)[1]  # after the `# Licence:` line
    rows = [r for r in csv.DictReader(io.StringIO(table)) if r["dong_code"] == FACTORY_DONG]
    assert any(r["revision_withheld"] for r in rows)
    assert all(r["revised"] == "" for r in rows)


# --- the operator's audit command over the same stores ---------------------------


def _audit(c: RolledCity, period: str, public: str) -> subprocess.CompletedProcess[str]:
    argv = flags(config=c.sites, influx_url=c.url, influx_bucket=c.raw, influx_public_bucket=public)
    return run_module("collector", "rollup", "disclosure-audit", "--period", period, *argv)


def _kst_hour(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, KST).strftime("%Y-%m-%dT%H")


def test_the_audit_command_finds_the_published_hour_safe(revised: Revised) -> None:
    done = _audit(revised.city, _kst_hour(revised.hour), revised.city.public)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 exposed" in done.stdout and "EXPOSED" not in done.stdout


def test_the_audit_command_finds_a_leaked_figure(revised: Revised, influx: InfluxServer) -> None:
    """The public bucket copied, plus the factory dong's new figure published by mistake."""
    c = revised.city
    leaky = fresh_db(influx, "leaky")
    rows = c.ql.rows(
        f"SELECT consumption FROM {CONSUMPTION_1H} WHERE time = {revised.hour}ms GROUP BY *",
        c.public,
        epoch="ms",
    )
    tags = ("utility", "district", "dong", "building_type")
    lines = [
        line(CONSUMPTION_1H, {t: r[t] for t in tags}, {"consumption": r["consumption"]}, r["time"])
        for r in rows
        if r["consumption"] is not None and Group(*(r[t] for t in tags[1:])) != FACTORY
    ]
    leak = {"consumption": float(revised.private[1][FACTORY]["consumption"])}
    lines.append(
        line(CONSUMPTION_1H, {"utility": "electricity", **FACTORY.tags()}, leak, revised.hour)
    )
    city.write_lines(c.url, leaky, lines, "ms")
    done = _audit(c, _kst_hour(revised.hour), leaky)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        f"EXPOSED ('electricity', {revised.hour}, Group(district='{DISTRICT}', dong='{FACTORY_DONG}'"
        in done.stdout
    )


def test_the_audit_command_names_a_bad_period(revised: Revised) -> None:
    done = _audit(revised.city, "05/12/2026", revised.city.public)
    assert done.returncode == 2
    assert "--period '05/12/2026': expected 2026-12-05T10 (hour)" in done.stderr


def test_the_audit_command_finds_the_day_with_its_hours_safe(revised: Revised) -> None:
    day = datetime.fromtimestamp(revised.hour / 1000, KST).strftime("%Y-%m-%d")
    done = _audit(revised.city, day, revised.city.public)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{day} (day):" in done.stdout and " 0 exposed" in done.stdout
