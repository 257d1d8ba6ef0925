"""Statuses staff set, official answers (written, then published), and answer times.

An answer is a draft until published, as in Decidim: staff can prepare it and
publish it when the city's decision is final. A post that reached the support
threshold is owed a published answer by `answer_due_at`; answer times are
measured from the threshold to publication.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select, update

from civic.board import visibility
from civic.board.context import Board, Refused, Why
from civic.board.views import StatusView
from telemetry.db.tables import answers, post_statuses, posts


class AnswerDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000, description="Markdown; no raw HTML")


class Overdue(BaseModel):
    id: int
    title: str
    answer_due_at: datetime
    days_overdue: float


class AnswerTimes(BaseModel):
    support_threshold: int
    answer_days: int
    owed: int = Field(description="visible posts that reached the threshold")
    answered: int = Field(description="of those, with a published answer")
    median_days: float | None = Field(description="threshold to published answer")
    overdue: list[Overdue]


def statuses(board: Board) -> list[StatusView]:
    with board.engine.connect() as conn:
        rows = conn.execute(select(post_statuses).order_by(post_statuses.c.position)).all()
    return [StatusView.model_validate(r, from_attributes=True) for r in rows]


def _post_exists(conn: Connection, post_id: int) -> None:
    # Staff act on hidden posts too (a moderator may restore them later).
    if conn.execute(select(posts.c.id).where(posts.c.id == post_id)).first() is None:
        raise Refused(Why.NOT_FOUND, f"no post {post_id}")


def set_status(board: Board, post_id: int, token: str) -> None:
    with board.engine.begin() as conn:
        _post_exists(conn, post_id)
        known = conn.execute(
            select(post_statuses.c.token).where(post_statuses.c.token == token)
        ).first()
        if known is None:
            raise Refused(Why.INVALID, f"unknown status {token!r}", "status")
        conn.execute(
            update(posts)
            .where(posts.c.id == post_id)
            .values(status=token, updated_at=board.clock())
        )


def write_answer(board: Board, post_id: int, staff: str, draft: AnswerDraft) -> None:
    """Write or rewrite the answer; a published answer stays published, with the new text."""
    now = board.clock()
    with board.engine.begin() as conn:
        _post_exists(conn, post_id)
        found = conn.execute(select(answers.c.post_id).where(answers.c.post_id == post_id)).first()
        values = {"body": draft.body, "written_by": staff, "written_at": now}
        if found is None:
            conn.execute(answers.insert().values(post_id=post_id, **values))
        else:
            conn.execute(update(answers).where(answers.c.post_id == post_id).values(**values))


def publish_answer(board: Board, post_id: int) -> None:
    with board.engine.begin() as conn:
        done = conn.execute(
            update(answers)
            .where(answers.c.post_id == post_id, answers.c.published_at.is_(None))
            .values(published_at=board.clock())
        )
        if done.rowcount == 1:
            return
        exists = conn.execute(select(answers.c.post_id).where(answers.c.post_id == post_id)).first()
    if exists is None:
        raise Refused(Why.NOT_FOUND, f"post {post_id} has no written answer to publish")
    raise Refused(Why.DUPLICATE, f"the answer to post {post_id} is already published")


def answer_times(board: Board) -> AnswerTimes:
    """Over visible posts only: a hidden post is neither counted nor listed."""
    now = board.clock()
    query = (
        select(posts.c.id, posts.c.title, posts.c.threshold_at, posts.c.answer_due_at)
        .add_columns(answers.c.published_at)
        .outerjoin(answers, answers.c.post_id == posts.c.id)
        .where(visibility.post_visible(), posts.c.threshold_at.is_not(None))
    )
    with board.engine.connect() as conn:
        rows = conn.execute(query).all()
    days = [
        (r.published_at - r.threshold_at).total_seconds() / 86400
        for r in rows
        if r.published_at is not None
    ]
    overdue = [
        Overdue(
            id=r.id,
            title=r.title,
            answer_due_at=r.answer_due_at,
            days_overdue=round((now - r.answer_due_at).total_seconds() / 86400, 2),
        )
        for r in rows
        if r.published_at is None and r.answer_due_at < now
    ]
    return AnswerTimes(
        support_threshold=board.config.support_threshold,
        answer_days=board.config.answer_days,
        owed=len(rows),
        answered=len(days),
        median_days=round(median(days), 2) if days else None,
        overdue=sorted(overdue, key=lambda o: o.answer_due_at),
    )
