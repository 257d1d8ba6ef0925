"""The board's whole story through the API, with a real platform database (SQLite and
PostgreSQL) and real public figures (InfluxDB rolled up by the real rollup)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from telemetry.db.tables import moderation_log
from tests.civic.board_api import Person, board_app, manager, resident, staff
from tests.rollup import city
from tests.rollup.conftest import RolledCity, rolled, rollup_influx  # noqa: F401 (fixtures)
from tests.support.tenancy import lived

DISTRICT, DONG = city.APARTMENT_DONG


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


@pytest.fixture
def city_app(engine: Engine, rolled: RolledCity) -> Iterator[FastAPI]:  # noqa: F811
    yield board_app(engine, rolled.sites, rolled.url, rolled.public)


def test_the_whole_story(city_app: FastAPI, rolled: RolledCity) -> None:  # noqa: F811
    app = city_app
    # A manager issues codes for four households of the apartment complex.
    lived(app.state.board.engine, "apt", ["101-1", "101-2", "101-3", "101-4"])
    r = manager(app).post(
        "/v1/board/codes", {"site": "apt", "households": ["101-1", "101-2", "101-3", "101-4"]}
    )
    assert r.status_code == 201, r.text
    issued = [c["code"] for c in r.json()["codes"]]
    author, supporter, reporter = (resident(app, c) for c in issued[:3])
    # A code redeemed twice is refused.
    again = Person(TestClient(app)).post("/v1/board/redeem", {"code": issued[0]})
    assert again.status_code == 409

    # The author posts a proposal referring to the dong's electricity series.
    start, end = _iso(rolled.start_ms), _iso(rolled.start_ms + 2 * city.HOUR)
    chart = {"district": DISTRICT, "dong": DONG, "utility": "electricity", "every": "hour",
             "start": start, "end": end}  # fmt: skip
    public = Person(TestClient(app)).get(
        f"/v1/districts/{DISTRICT}/dongs/{DONG}/consumption",
        params={"utility": "electricity", "every": "hour", "start": start, "end": end},
    )
    assert public.status_code == 200, public.text
    draft = {"kind": "proposal", "title": "LED lights in the car park", "dong": DONG,
             "body": "Night use is high, see the chart.", "chart": chart}  # fmt: skip
    r = author.post("/v1/board/posts", draft)
    assert r.status_code == 201, r.text
    post_id = r.json()["id"]
    shown = Person(TestClient(app)).get(f"/v1/board/posts/{post_id}").json()
    figures = [p["consumption"] for p in shown["chart_snapshot"]["points"]]
    assert figures == [p["consumption"] for p in public.json()["points"]]
    assert any(f is not None and f > 0 for f in figures)
    assert shown["chart_live"].startswith(f"/v1/districts/{DISTRICT}/dongs/{DONG}/consumption?")

    # A second resident supports it, once.
    assert supporter.post(f"/v1/board/posts/{post_id}/support").json() == {"supports": 1}
    assert supporter.post(f"/v1/board/posts/{post_id}/support").status_code == 409
    # A third reports it (one report does not hide).
    report = {"kind": "post", "id": post_id, "reason": "off_topic"}
    assert reporter.post("/v1/board/reports", report).status_code == 201
    assert Person(TestClient(app)).get(f"/v1/board/posts/{post_id}").status_code == 200

    # Staff answer, change the status, publish; the post shows the answer.
    s = staff(app)
    answer = {"body": "The city will fit **LED** lights by March."}
    assert s.write("PUT", f"/v1/board/posts/{post_id}/answer", answer).status_code == 204
    assert Person(TestClient(app)).get(f"/v1/board/posts/{post_id}").json()["answer"] is None
    status = {"status": "accepted"}
    assert s.write("PUT", f"/v1/board/posts/{post_id}/status", status).status_code == 204
    assert s.post(f"/v1/board/posts/{post_id}/answer/publish").status_code == 204
    shown = Person(TestClient(app)).get(f"/v1/board/posts/{post_id}").json()
    assert shown["status"] == "accepted" and shown["supports"] == 1
    assert "<strong>LED</strong>" in shown["answer"]["body_html"]
    assert shown["answer"]["written_by"] == "kim"

    # The moderator's queue holds the pending report; restoring resolves and logs it.
    assert [q["id"] for q in s.get("/v1/board/moderation/queue").json()] == [post_id]
    note = {"note": "on topic: the chart is about the car park"}
    assert s.post(f"/v1/board/moderation/post/{post_id}/restore", note).status_code == 204
    assert s.get("/v1/board/moderation/queue").json() == []
    with app.state.board.engine.connect() as conn:
        log = conn.execute(select(moderation_log)).all()
    assert [(e.actor, e.action, e.item_id) for e in log] == [("kim", "restore", post_id)]
