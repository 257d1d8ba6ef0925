"""The operators' page over agent status, rejected messages and collector figures written as
the collector writes them, in the rolled-up test city's InfluxDB; compared with the Grafana
operations board's panels on the same data."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from influxdb_client import Point

from collector.agent_stats import AgentStats
from dashboards.check import load_boards
from dashboards.interpolate import fill, interval, time_range
from tests.rollup import city
from tests.rollup.conftest import RolledCity
from tests.staff.people import staff_member


@pytest.fixture(scope="module")
def fleet_data(rolled: RolledCity) -> Iterator[dict[str, Any]]:
    now = int(time.time() * 1000)

    def status(agent: str, site: str, state: str, ago_s: float, depth: int) -> Point:
        return (
            Point("agent_status")
            .tag("site", site)
            .tag("agent", agent)
            .field("state", state)
            .field("online", 1.0 if state == "online" else 0.0)
            .field("meters", 1.0)
            .field("meters_failing", 0.0)
            .field("failing", "")
            .field("outbox_depth", float(depth))
            .field("outbox_oldest_age_s", 12.0 if depth else 0.0)
            .field("dropped_batches", 0.0)
            .field("last_error", "" if state == "online" else "broker unreachable")
            .time(now - int(ago_s * 1000), write_precision="ms")
        )

    points = [
        status("ind-1-gw", "ind-1", "online", 600, 0),
        status("ind-1-gw", "ind-1", "online", 5, 3),
        status("ind-2-gw", "ind-2", "offline", 20, 7),
        status("ind-3-gw", "ind-3", "online", 900, 0),
    ]
    for n, reason in enumerate(["schema", "schema", "schema", "unknown_site", "unknown_site"]):
        points.append(
            Point("rejected")
            .tag("reason", reason)
            .field("topic", "energy/v1/x/y/readings")
            .field("detail", "test")
            .field("payload", "{}")
            .field("size", 2)
            .field("count", 1)
            .time(now - 60_000 - n, write_precision="ms")
        )
    for ago, readings in ((1_200_000, 1000), (10_000, 4600)):
        points.append(
            Point("collector_stats")
            .tag("instance", "c1")
            .field("messages", readings // 10)
            .field("readings", readings)
            .field("rejected", 5)
            .field("written", readings)
            .field("seq_gaps", 2 if ago < 60_000 else 0)
            .field("seq_duplicates", 0)
            .field("lag_p50_s", 0.4)
            .field("lag_p99_s", 1.5)
            .time(now - ago, write_precision="ms")
        )
    city.write_points(rolled.url, rolled.raw, points)
    city.write_lines(rolled.url, rolled.raw, agent_figures(now), "ms")
    yield {"now": now}


def agent_figures(now: int) -> list[str]:
    """Per-agent figures as two collectors write them: ind-1-gw's gaps (the larger count of the
    two in the hour) and rejections (summed), an older count left out of the hour."""
    lines = []
    for instance, ago, gaps, reasons in (
        ("c1", 7_200_000, 9, ()),
        ("c1", 120_000, 2, ("schema", "schema", "bad_json")),
        ("c2", 30_000, 1, ("schema",)),
    ):
        stats = AgentStats(instance)
        stats.gaps(("ind-1", "ind-1-gw"), gaps)
        for reason in reasons:
            stats.rejected(("ind-1", "ind-1-gw"), reason)
        lines += stats.lines(now - ago)
    return lines


def test_only_operators_open_the_page(app: FastAPI, fleet_data: dict[str, Any]) -> None:
    anonymous = TestClient(app)
    r = anonymous.get("/operations", follow_redirects=False)
    assert r.status_code == 303 and "/staff/signin" in r.headers["location"]
    assert anonymous.get("/operations/stream?max_events=1").status_code == 401
    manager = staff_member(app, "park", "facility_manager", sites=("ind-1",))
    assert manager.get("/operations").status_code == 403
    assert manager.get("/operations/stream?max_events=1").status_code == 403
    assert "ind-2-gw" not in manager.get("/operations").text
    operator = staff_member(app, "lee", "operator")
    assert operator.get("/operations").status_code == 200


def rows_by_agent(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-agent="([^"]+)" data-site="[^"]+">(.*?)</tr>', html, re.S))


def test_agents_states_backlog_and_figures(app: FastAPI, fleet_data: dict[str, Any]) -> None:
    operator = staff_member(app, "lee", "operator")
    page = operator.get("/operations?lang=en").text
    rows = rows_by_agent(page)
    assert (
        "Online" in rows["ind-1-gw"]
        and "is-down" not in page.split('data-agent="ind-1-gw"')[0][-80:]
    )
    assert "Offline" in rows["ind-2-gw"] and "broker unreachable" in rows["ind-2-gw"]
    assert "Silent" in rows["ind-3-gw"]
    assert "Never reported" in rows["apt-gw"]
    assert re.search(r'data-fig="outbox">3 ', rows["ind-1-gw"])
    assert 'href="/facility/ind-1?lang=en"' in rows["ind-1-gw"]
    assert 'data-fig="gaps">2<' in rows["ind-1-gw"] and 'data-fig="gaps">0<' in rows["ind-2-gw"]
    assert 'data-fig="rejected">bad_json 1, schema 3<' in rows["ind-1-gw"]
    assert 'data-fig="rejected">–<' in rows["ind-2-gw"]
    rejected = page.split('id="rejected"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\w+)</th><td class="num">(\d+)', rejected) == [
        ("schema", "3"),
        ("unknown_site", "2"),
    ]
    collectors = page.split('id="collectors"')[1].split("</table>")[0]
    assert 'data-instance="c1"' in collectors and ">3600<" in collectors  # readings in the hour
    with operator.client.stream("GET", "/operations/stream?max_events=1") as r:
        body = "".join(r.iter_text())
    event = json.loads(next(x[6:] for x in body.splitlines() if x.startswith("data: ")))
    states = {a["agent"]: (a["state"], a["down"]) for a in event["agents"]}
    assert states["ind-1-gw"] == ("online", False)
    assert states["ind-2-gw"] == ("offline", True)
    assert states["ind-3-gw"] == ("silent", True)


def board_rows(c: RolledCity, title: str) -> list[dict[str, Any]]:
    board = next(b for b in load_boards() if b["uid"] == "operations")
    panel = next(p for p in board["panels"] if p.get("title", "").startswith(title))
    rng = time_range("now-1h", datetime.now(UTC), panel.get("timeFrom"), panel.get("timeShift"))
    out = []
    for target in panel["targets"]:
        query = fill(target["query"], rng=rng, step=interval(rng, panel.get("interval")),
                     variables={})  # fmt: skip
        for s in c.ql.series(query, c.raw, epoch="ms"):
            out += [{**s.tags, **row} for row in s.rows()]
    return out


def test_the_page_equals_the_operations_board(
    app: FastAPI, rolled: RolledCity, fleet_data: dict[str, Any]
) -> None:
    operator = staff_member(app, "lee", "operator")
    with operator.client.stream("GET", "/operations/stream?max_events=1") as r:
        body = "".join(r.iter_text())
    event = json.loads(next(x[6:] for x in body.splitlines() if x.startswith("data: ")))
    board = {r["agent"]: r for r in board_rows(rolled, "에이전트 목록")}
    page = {a["agent"]: a for a in event["agents"] if a["agent"] in board}
    assert set(page) == set(board) == {"ind-1-gw", "ind-2-gw", "ind-3-gw"}
    for agent, b in board.items():
        p = page[agent]
        assert (p["outbox_depth"], p["dropped"], p["last_error"] or "") == (
            b["outbox_depth"], b["dropped"], b["last_error"] or ""
        ), agent  # fmt: skip
        assert (p["state"] == "offline") == (b["state"] == "offline"), agent
    totals = {r["reason"]: r["count"] for r in board_rows(rolled, "사유별 합계")}
    assert event["rejected"] == totals
    gaps = {r["agent"]: r["seq_gaps"] for r in board_rows(rolled, "에이전트별 순번 누락")}
    rejected = {
        (r["agent"], r["reason"]): r["count"] for r in board_rows(rolled, "에이전트별 거부")
    }
    agents = {a["agent"]: a for a in event["agents"]}
    assert gaps == {a: agents[a]["seq_gaps_hour"] for a in gaps} == {"ind-1-gw": 2}
    page_rejected = {(a, r): n for a in agents for r, n in agents[a]["rejected_hour"].items()}
    assert page_rejected == rejected == {("ind-1-gw", "schema"): 3, ("ind-1-gw", "bad_json"): 1}
