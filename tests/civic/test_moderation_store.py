"""Reports, auto-hide, moderators' decisions, blocks and the author's view, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.board import posts
from civic.board.context import Refused, Why
from civic.board.discussion import CommentDraft, comment
from civic.board.moderation import block, hide, mine, report, restore, unblock
from telemetry.db.tables import moderation_log, reports
from tests.civic.conftest import BoardWorld

STAFF = "moderator-kim"


def _log(world: BoardWorld) -> list[tuple[str, str, int | None]]:
    with world.board.engine.connect() as conn:
        rows = conn.execute(select(moderation_log).order_by(moderation_log.c.id)).all()
    return [(r.actor, r.action, r.item_id) for r in rows]


def test_three_reports_hide_until_a_moderator_decides(world: BoardWorld) -> None:
    author = world.resident("101-1")
    r1, r2, r3 = (world.resident(f"102-{i}") for i in range(3))
    post_id = world.post(author)
    assert report(world.board, r1.resident_id, "post", post_id, "spam") is False
    with pytest.raises(Refused) as twice:
        report(world.board, r1.resident_id, "post", post_id, "offensive")
    assert twice.value.why is Why.DUPLICATE
    assert report(world.board, r2.resident_id, "post", post_id, "off_topic") is False
    assert posts.get(world.board, post_id) is not None
    assert report(world.board, r3.resident_id, "post", post_id, "spam") is True
    assert posts.get(world.board, post_id) is None
    assert [(h.reason, h.id) for h in mine(world.board, author.resident_id).hidden] == [
        ("reports", post_id)
    ]
    restore(world.board, STAFF, "post", post_id, "reviewed: fine")
    assert posts.get(world.board, post_id) is not None
    with world.board.engine.connect() as conn:
        assert all(r.resolved_at for r in conn.execute(select(reports)))
    assert _log(world) == [("system", "auto_hide", post_id), (STAFF, "restore", post_id)]


def test_a_hidden_item_cannot_be_reported(world: BoardWorld) -> None:
    author, reporter = world.resident("101-1"), world.resident("101-2")
    post_id = world.post(author)
    hide(world.board, STAFF, "post", post_id, "spam link")
    with pytest.raises(Refused) as refused:
        report(world.board, reporter.resident_id, "post", post_id, "spam")
    assert refused.value.why is Why.NOT_FOUND
    seen = mine(world.board, author.resident_id).hidden
    assert [(h.reason, h.note) for h in seen] == [("moderator", "spam link")]


def test_block_hides_everything_and_unblock_restores_only_that(world: BoardWorld) -> None:
    author, other = world.resident("101-1"), world.resident("101-2")
    kept, moderated = world.post(author, title="kept"), world.post(author, title="moderated")
    on_other = world.post(other, title="someone else's")
    remark = comment(world.board, author, on_other, CommentDraft(body="a remark"))
    hide(world.board, STAFF, "post", moderated, "offensive")
    block(world.board, STAFF, author.resident_id, "repeated spam")
    assert posts.get(world.board, kept) is None
    assert posts.get(world.board, on_other).comments == 0
    with pytest.raises(Refused) as refused:
        world.post(author, title="new one")
    assert refused.value.why is Why.BLOCKED
    with pytest.raises(Refused, match="unblock"):
        restore(world.board, STAFF, "post", kept, "no")
    seen = mine(world.board, author.resident_id)
    assert seen.blocked and seen.blocked_reason == "repeated spam"
    assert {(h.kind, h.id) for h in seen.hidden} == {
        ("post", kept), ("post", moderated), ("comment", remark)
    }  # fmt: skip
    unblock(world.board, STAFF, author.resident_id, "appeal accepted")
    assert posts.get(world.board, kept) is not None
    assert posts.get(world.board, moderated) is None  # hidden by a moderator, not by the block
    assert posts.get(world.board, on_other).comments == 1
    assert [a for _, a, _ in _log(world)] == ["hide", "block", "unblock"]


def test_a_reply_under_a_hidden_comment_is_hidden_with_it(world: BoardWorld) -> None:
    a, b = world.resident("101-1"), world.resident("101-2")
    post_id = world.post(a)
    parent = comment(world.board, a, post_id, CommentDraft(body="parent"))
    comment(world.board, b, post_id, CommentDraft(body="reply", parent_id=parent))
    hide(world.board, STAFF, "comment", parent, "offensive")
    shown = posts.get(world.board, post_id)
    assert shown.comments == 0 and shown.thread == []
