"""Posts and threads on SQLite and PostgreSQL: sanitised bodies, chart snapshots, filters."""

from __future__ import annotations

import pytest

from civic.board import posts
from civic.board.chart import ChartRef, snapshot
from civic.board.context import Author, Refused, Why
from civic.board.discussion import CommentDraft, comment
from civic.board.posts import PostDraft, PostFilter, PostKind
from stores.figures import Series as PublicSeries
from stores.figures import SeriesPoint, Total
from tests.civic.conftest import DONG, BoardWorld


def _series(ref: ChartRef, ok: bool = True) -> PublicSeries:
    start, end = "2026-10-01T00:00:00+09:00", "2026-10-02T00:00:00+09:00"
    point = (
        SeriesPoint(start=start, end=end, status="ok", consumption=1234.5, households=40, sites=2)
        if ok
        else SeriesPoint(start=start, end=end, status="suppressed", reason="fewer than 5")
    )
    total = Total(start=start, end=end, status="ok", consumption=1234.5, complete=True)
    return PublicSeries.model_validate(
        {
            "group": ref.group,
            "utility": ref.utility,
            "unit": "kWh",
            "every": ref.every,
            "points": [point],
            "total": total,
            "previous_period": total.model_dump() | {"change_pct": None},
            "previous_year": total.model_dump() | {"change_pct": None},
        }
    )


def test_a_body_is_rendered_without_script_or_raw_html(world: BoardWorld) -> None:
    who = world.resident("101-1")
    body = "Hello <script>alert(1)</script> [x](javascript:alert(2)) <b onclick=y>b</b> **ok**"
    post_id = world.post(who, body=body)
    shown = posts.get(world.board, post_id)
    assert shown is not None and shown.body == body
    html = shown.body_html
    assert "<script" not in html and 'href="javascript' not in html and "<b " not in html
    assert "<strong>ok</strong>" in html and "&lt;script&gt;" in html
    assert shown.author.kind == "resident" and shown.author.name is None


def test_a_chart_reference_keeps_the_figures_of_its_day(world: BoardWorld) -> None:
    ref = ChartRef(
        district="29200", dong=DONG, utility="electricity", start="2026-10-01", end="2026-10-02"
    )
    draft = PostDraft(
        kind=PostKind.QUESTION, title="Why so high?", body="See", dong=DONG, chart=ref
    )
    post_id = posts.create(world.board, world.resident("101-1"), draft, snapshot(ref, _series(ref)))
    shown = posts.get(world.board, post_id)
    assert shown is not None and shown.has_chart
    assert shown.chart_snapshot["points"][0]["consumption"] == 1234.5
    assert shown.chart_live == (
        f"/v1/districts/29200/dongs/{DONG}/consumption"
        "?utility=electricity&every=day&start=2026-10-01&end=2026-10-02"
    )


def test_a_chart_without_public_figures_or_of_another_group_is_refused(world: BoardWorld) -> None:
    ref = ChartRef(district="29200", dong=DONG, utility="gas", start="2026-10-01", end="2026-10-02")
    with pytest.raises(Refused, match="no public figure"):
        snapshot(ref, _series(ref, ok=False))
    other = ref.model_copy(update={"dong": "2920067000"})
    with pytest.raises(Refused, match="do not belong"):
        snapshot(ref, _series(other))
    draft = PostDraft(kind=PostKind.QUESTION, title="No figures", body="b", dong=DONG, chart=ref)
    with pytest.raises(Refused, match="comes with its figures"):
        posts.create(world.board, world.resident("101-1"), draft, None)


def test_lists_filter_search_and_count(world: BoardWorld) -> None:
    who = world.resident("101-1")
    a = world.post(who, title="Solar panels on block 101")
    b = world.post(who, title="Gas bill question", kind=PostKind.QUESTION, body="why 50%?")
    world.post(Author(staff="energy-team"), title="Other dong", dong="2920067000")
    assert [p.id for p in posts.list_posts(world.board, PostFilter(dong=DONG))] == [b, a]
    assert [p.id for p in posts.list_posts(world.board, PostFilter(kind="question"))] == [b]
    assert [p.id for p in posts.list_posts(world.board, PostFilter(q="SOLAR"))] == [a]
    # LIKE wildcards typed by a user are taken literally.
    assert [p.id for p in posts.list_posts(world.board, PostFilter(q="50%"))] == [b]
    assert posts.list_posts(world.board, PostFilter(q="5_%")) == []
    assert posts.count_posts(world.board) == 3


def test_comments_go_two_levels_deep(world: BoardWorld) -> None:
    who = world.resident("101-1")
    post_id = world.post(who)
    first = comment(world.board, who, post_id, CommentDraft(body="first"))
    reply = comment(world.board, who, post_id, CommentDraft(body="reply", parent_id=first))
    with pytest.raises(Refused, match="two levels") as refused:
        comment(world.board, who, post_id, CommentDraft(body="deeper", parent_id=reply))
    assert refused.value.why is Why.INVALID
    other = world.post(who, title="Another post")
    with pytest.raises(Refused) as wrong_post:
        comment(world.board, who, other, CommentDraft(body="x", parent_id=first))
    assert wrong_post.value.why is Why.NOT_FOUND
    shown = posts.get(world.board, post_id)
    assert shown is not None and shown.comments == 2
    assert [(c.body, [r.body for r in c.replies]) for c in shown.thread] == [("first", ["reply"])]
