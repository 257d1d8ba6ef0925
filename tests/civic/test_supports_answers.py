"""Supports, statuses, official answers and answer times on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.board import answers, posts
from civic.board.answers import AnswerDraft
from civic.board.context import Author, Refused, Why
from civic.board.discussion import CommentDraft, comment, support
from civic.board.moderation import hide
from telemetry.db.tables import supports
from tests.civic.conftest import BoardWorld

STAFF = "energy-team"


def test_one_support_per_resident_the_database_says_so(world: BoardWorld) -> None:
    a, b = world.resident("101-1"), world.resident("101-2")
    post_id = world.post(a)
    assert support(world.board, a.resident_id, post_id) == 1
    with pytest.raises(Refused) as again:
        support(world.board, a.resident_id, post_id)
    assert again.value.why is Why.DUPLICATE
    assert support(world.board, b.resident_id, post_id) == 2
    with world.board.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(supports)).scalar_one() == 2


def test_no_support_or_comment_on_closed_or_hidden_posts(world: BoardWorld) -> None:
    who = world.resident("101-1")
    closed, hidden = world.post(who, title="closed one"), world.post(who, title="hidden one")
    answers.set_status(world.board, closed, "closed", STAFF)
    hide(world.board, STAFF, "post", hidden, "spam")
    for post_id, why in ((closed, Why.CLOSED), (hidden, Why.NOT_FOUND)):
        with pytest.raises(Refused) as refused:
            support(world.board, who.resident_id, post_id)
        assert refused.value.why is why
        with pytest.raises(Refused):
            comment(world.board, who, post_id, CommentDraft(body="hi"))


def test_the_threshold_starts_the_answer_clock(world: BoardWorld) -> None:
    a, b = world.resident("101-1"), world.resident("101-2")
    post_id = world.post(a)
    support(world.board, a.resident_id, post_id)
    assert posts.get(world.board, post_id).answer_due_at is None
    world.clock.advance(hours=1)
    support(world.board, b.resident_id, post_id)  # threshold 2 in this world
    due = posts.get(world.board, post_id).answer_due_at
    assert due is not None and (due - world.clock.now).days == 30


def test_an_answer_is_shown_only_once_published(world: BoardWorld) -> None:
    post_id = world.post(world.resident("101-1"))
    answers.write_answer(world.board, post_id, STAFF, AnswerDraft(body="We will **study** it."))
    assert posts.get(world.board, post_id).answer is None
    answers.publish_answer(world.board, post_id, STAFF)
    shown = posts.get(world.board, post_id).answer
    assert shown is not None and "<strong>study</strong>" in shown.body_html
    with pytest.raises(Refused) as twice:
        answers.publish_answer(world.board, post_id, STAFF)
    assert twice.value.why is Why.DUPLICATE
    with pytest.raises(Refused) as none:
        answers.publish_answer(world.board, world.post(Author(staff=STAFF)), STAFF)
    assert none.value.why is Why.NOT_FOUND


def test_statuses_are_the_citys(world: BoardWorld) -> None:
    post_id = world.post(world.resident("101-1"))
    assert answers.statuses(world.board)[0].token == "open"
    answers.set_status(world.board, post_id, "under_review", STAFF)
    assert posts.get(world.board, post_id).status == "under_review"
    with pytest.raises(Refused, match="unknown status"):
        answers.set_status(world.board, post_id, "maybe", STAFF)


def test_answer_times_median_and_overdue(world: BoardWorld) -> None:
    a, b = world.resident("101-1"), world.resident("101-2")
    quick, slow, late, hidden = (world.post(a, title=f"post {i}") for i in range(4))
    for post_id in (quick, slow, late, hidden):
        support(world.board, a.resident_id, post_id)
        support(world.board, b.resident_id, post_id)
    for post_id, days in ((quick, 2), (slow, 4)):
        world.clock.advance(days=days)
        answers.write_answer(world.board, post_id, STAFF, AnswerDraft(body="answer"))
        answers.publish_answer(world.board, post_id, STAFF)
    world.clock.advance(days=30)  # 36 days after the threshold
    hide(world.board, STAFF, "post", hidden, "off topic")
    times = answers.answer_times(world.board)
    assert (times.owed, times.answered) == (3, 2)
    assert times.median_days == 4.0  # 2 and 6 days after the threshold
    assert [o.id for o in times.overdue] == [late]
    assert times.overdue[0].days_overdue == 6.0
