"""Shared datasets: CSV rules, closing data requests, who may publish, hidden with their post."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from civic.board import datasets, posts
from civic.board.context import Refused
from civic.board.moderation import hide
from civic.board.posts import PostKind
from tests.civic.board_api import ADMIN, SITE_TOKENS, Person, residents
from tests.civic.conftest import BoardWorld
from tests.rollup import city

CSV = b"day,kwh\n2026-10-01,120.5\n2026-10-02,118.0\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "header row"),
        (b"a,b\n1,2\n3\n", "line 3: 1 cells, the header has 2"),
        (b"a,b\n\xff\xfe,1\n", "not UTF-8 at byte 4"),
        (b"x" * (datasets.MAX_BYTES + 1), "at most"),
    ],
)
def test_only_well_formed_small_csv(content: bytes, message: str) -> None:
    with pytest.raises(Refused, match=message):
        datasets.check_csv(content)


def test_publishing_closes_a_data_request_and_hides_with_its_post(world: BoardWorld) -> None:
    who = world.resident("101-1")
    request = world.post(who, title="Solar output per month?", kind=PostKind.DATA_REQUEST)
    other = world.post(who, title="A proposal")
    d1 = datasets.publish(
        world.board, "staff:kim", "Solar by month", "solar.csv", CSV, post_id=request
    )
    d2 = datasets.publish(world.board, "site:apt", "Night use", "night.csv", CSV, site="apt")
    datasets.publish(world.board, "staff:kim", "On a proposal", "p.csv", CSV, post_id=other)
    shown = posts.get(world.board, request)
    assert shown.status == "closed" and [d.id for d in shown.datasets] == [d1]
    assert shown.datasets[0].row_count == 2 and shown.datasets[0].url.endswith(f"/{d1}.csv")
    assert posts.get(world.board, other).status == "open"  # only a data_request closes
    assert datasets.content(world.board, d2) == ("night.csv", CSV)
    hide(world.board, "mod", "post", request, "spam")
    assert datasets.content(world.board, d1) is None
    assert d1 not in {d.id for d in datasets.list_datasets(world.board)}
    with pytest.raises(Refused, match="no post"):
        datasets.publish(world.board, "staff:kim", "late", "late.csv", CSV, post_id=request)
    with pytest.raises(Refused, match="filename"):
        datasets.publish(world.board, "staff:kim", "bad", "../x.csv", CSV, site="apt")
    with pytest.raises(Refused, match="post or a site"):
        datasets.publish(world.board, "staff:kim", "none", "x.csv", CSV)


def _upload(app: FastAPI, token: str, body: bytes, **params: object) -> object:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    return TestClient(app).post("/v1/board/datasets", content=body, headers=headers,
                                params={"title": "Night use", "filename": "night.csv"} | params)  # fmt: skip


def test_who_may_publish_and_the_limits(app: FastAPI) -> None:
    (person,) = residents(app, 1)
    post_id = person.post("/v1/board/posts", {"kind": "data_request", "title": "Night use data",
                          "body": "please", "dong": city.APARTMENT_DONG[1]}).json()["id"]  # fmt: skip
    assert _upload(app, SITE_TOKENS["apt"], CSV).status_code == 409  # no site named
    assert _upload(app, SITE_TOKENS["ind-1"], CSV, site="apt").status_code == 403
    assert _upload(app, "wrong", CSV, site="apt").status_code == 401
    big = b"a\n" + b"1\n" * datasets.MAX_BYTES
    assert _upload(app, ADMIN, big, post_id=post_id).status_code == 413
    r = TestClient(app).post("/v1/board/datasets", content=CSV, params={"title": "Night", "filename":
        "t.csv", "post_id": post_id}, headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip
    assert r.status_code == 415
    bad = _upload(app, ADMIN, b"a,b\n1\n", post_id=post_id)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body"
    mine = _upload(app, SITE_TOKENS["apt"], CSV, site="apt", post_id=post_id)
    assert mine.status_code == 201, mine.text
    anyone = Person(TestClient(app))
    listed = anyone.get("/v1/board/datasets", params={"site": "apt"}).json()
    assert [(d["publisher"], d["post_id"]) for d in listed] == [("site:apt", post_id)]
    got = anyone.get(listed[0]["url"])
    assert got.content == CSV and got.headers["x-content-type-options"] == "nosniff"
    assert 'filename="night.csv"' in got.headers["content-disposition"]
    assert anyone.get(f"/v1/board/posts/{post_id}").json()["status"] == "closed"
