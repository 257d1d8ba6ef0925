"""Content reported three times is hidden on every surface; this list names the surfaces.

Each surface is checked twice: before the reports the marked content is there
(so a surface that shows nothing cannot pass), afterwards it is gone, from
text and from counts. A new read route belongs in SURFACES.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.civic.board_api import ADMIN, Person, residents, staff
from tests.rollup import city

DONG = city.APARTMENT_DONG[1]
POST_MARK, COMMENT_MARK = "Zanzibarpost", "Quokkacomment"

# name -> path (with {hidden} and {kept} post ids)
SURFACES: dict[str, str] = {
    "list": "/v1/board/posts",
    "list by dong": f"/v1/board/posts?dong={DONG}",
    "list by kind": "/v1/board/posts?kind=proposal",
    "search": f"/v1/board/posts?q={POST_MARK}",
    "single post": "/v1/board/posts/{hidden}",
    "thread of another post": "/v1/board/posts/{kept}",
    "feed": "/v1/board/feed.json",
    "export posts csv": "/v1/board/open-data/posts.csv",
    "export posts json": "/v1/board/open-data/posts.json",
    "export answers csv": "/v1/board/open-data/answers.csv",
    "export answers json": "/v1/board/open-data/answers.json",
    "datasets": "/v1/board/datasets",
    "dataset download": "/v1/board/datasets/{dataset}.csv",
    # The portal's pages (api/web) read through the same rule.
    "page: list": "/board",
    "page: list by dong": f"/board?dong={DONG}",
    "page: list by kind": "/board?kind=proposal",
    "page: search": f"/board?q={POST_MARK[1:-1]}",  # the form echoes the words sought
    "page: post": "/board/posts/{hidden}",
    "page: thread of another post": "/board/posts/{kept}",
    "page: list in English": "/board?lang=en",
}
# Answer times (API and page) name only overdue posts: a surface of counts, checked below.
PAGE_TOTAL = re.compile(r"글 (\d+)건")
PAGE_OWED = re.compile(r"답변할 글</p><p class=\"card-value\">(\d+)<")


def _texts(anyone: Person, ids: dict[str, int]) -> dict[str, str]:
    return {name: anyone.get(path.format(**ids)).text for name, path in SURFACES.items()}


def _counts(anyone: Person, ids: dict[str, int]) -> dict[str, int]:
    listed = anyone.get("/v1/board/posts").json()
    kept = anyone.get(f"/v1/board/posts/{ids['kept']}").json()
    rows = anyone.get("/v1/board/open-data/posts.json").json()
    times = anyone.get("/v1/board/answer-times").json()
    return {
        "list total": listed["total"],
        "comments on kept": kept["comments"],
        "exported comments on kept": next(r["comments"] for r in rows if r["id"] == ids["kept"]),
        "answer times owed": times["owed"],
        "answer times answered": times["answered"],
        "page list total": int(PAGE_TOTAL.findall(anyone.get("/board").text)[0]),
        "page answer times owed": int(PAGE_OWED.findall(anyone.get("/board/answer-times").text)[0]),
        "page comments on kept": anyone.get(f"/board/posts/{ids['kept']}").text.count(
            'id="comment-'
        ),
    }


def test_three_reports_hide_a_post_and_a_comment_on_every_surface(app: FastAPI) -> None:
    author, fan, *reporters = residents(app, 5)
    proposal = {"kind": "proposal", "body": "text", "dong": DONG}
    hidden = author.post("/v1/board/posts", proposal | {"title": f"{POST_MARK} plan"}).json()["id"]
    kept = author.post("/v1/board/posts", proposal | {"title": "Kept plan"}).json()["id"]
    for person in (author, fan):  # both reach the threshold (2 here): owed an answer
        for post_id in (hidden, kept):
            assert person.post(f"/v1/board/posts/{post_id}/support").status_code == 200
    remark = {"body": f"{COMMENT_MARK} remark"}
    comment_id = fan.post(f"/v1/board/posts/{kept}/comments", remark).json()["id"]
    s = staff(app)
    s.write("PUT", f"/v1/board/posts/{hidden}/answer", {"body": f"answer to {POST_MARK}"})
    s.post(f"/v1/board/posts/{hidden}/answer/publish")
    data = TestClient(app).post(
        "/v1/board/datasets",
        content=f"note\n{POST_MARK} figures\n".encode(),
        params={"title": f"{POST_MARK} data", "filename": "d.csv", "post_id": hidden},
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "text/csv"},
    )
    anyone = Person(TestClient(app))
    ids = {"hidden": hidden, "kept": kept, "dataset": data.json()["id"]}

    before = _texts(anyone, ids)
    assert [
        n for n, text in before.items() if POST_MARK not in text and COMMENT_MARK not in text
    ] == []
    assert _counts(anyone, ids) == {
        "list total": 2, "comments on kept": 1, "exported comments on kept": 1,
        "answer times owed": 2, "answer times answered": 1,
        "page list total": 2, "page answer times owed": 2, "page comments on kept": 1,
    }  # fmt: skip

    for r in reporters:
        assert (
            r.post(
                "/v1/board/reports", {"kind": "post", "id": hidden, "reason": "spam"}
            ).status_code
            == 201
        )
        assert (
            r.post(
                "/v1/board/reports", {"kind": "comment", "id": comment_id, "reason": "offensive"}
            ).status_code
            == 201
        )

    after = _texts(anyone, ids)
    leaks = [n for n, text in after.items() if POST_MARK in text or COMMENT_MARK in text]
    assert leaks == []
    assert anyone.get(f"/v1/board/posts/{hidden}").status_code == 404
    assert _counts(anyone, ids) == {
        "list total": 1, "comments on kept": 0, "exported comments on kept": 0,
        "answer times owed": 1, "answer times answered": 0,
        "page list total": 1, "page answer times owed": 1, "page comments on kept": 0,
    }  # fmt: skip
    # Nor can anyone act on it.
    assert fan.post(f"/v1/board/posts/{hidden}/comments", {"body": "x"}).status_code == 404
    late = author.post("/v1/board/reports", {"kind": "post", "id": hidden, "reason": "spam"})
    assert late.status_code == 404
    # Staff still see it in the queue, and the author is told why.
    queue = s.get("/v1/board/moderation/queue").json()
    assert {(q["kind"], q["id"], q["hidden_reason"]) for q in queue} == {
        ("post", hidden, "reports"), ("comment", comment_id, "reports")
    }  # fmt: skip
    assert [h["reason"] for h in author.get("/v1/board/me").json()["hidden"]] == ["reports"]
