"""Statuses staff set, official answers (written, then published, versioned), and answer times.

An answer is a draft until published, as in Decidim: staff can prepare it and
publish it when the city's decision is final. A post that reached the support
threshold is owed a published answer by `answer_due_at`; answer times are
measured from the threshold to (first) publication.

Every text an answer has had is kept in `answer_versions` (append-only):
each write appends a version and bumps `answers.version`; publishing a draft
appends the same text again, stamped with its publication time. So the
versions with a publication time are exactly the texts residents were shown:
an answer rewritten after publication stays published with the new text and
is shown as edited, its earlier public texts listed under it. Each write is
recorded in the audit log in its own transaction; the name on the answer is
the credential's (`actor`), never a label the request chose.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select, update

from civic.board import visibility
from civic.board.context import Board, Refused, Why
from civic.board.views import AnswerVersionView, StatusView
from telemetry.db import audit
from telemetry.db.tables import answer_versions, answers, post_statuses, posts


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


def set_status(board: Board, post_id: int, token: str, actor: str) -> None:
    now = board.clock()
    with board.engine.begin() as conn:
        _post_exists(conn, post_id)
        known = conn.execute(
            select(post_statuses.c.token).where(post_statuses.c.token == token)
        ).first()
        if known is None:
            raise Refused(
                Why.CONFLICT, f"unknown status {token!r} (see /v1/board/statuses)", "status"
            )
        before = conn.execute(select(posts.c.status).where(posts.c.id == post_id)).scalar_one()
        conn.execute(
            update(posts).where(posts.c.id == post_id).values(status=token, updated_at=now)
        )
        audit.record(conn, actor, "post.status", "post", post_id,
                     {"from": before, "to": token}, now)  # fmt: skip


def _append_version(
    conn: Connection,
    post_id: int,
    version: int,
    text: tuple[str, str, datetime],
    published_at: datetime | None,
) -> None:
    body, by, at = text
    conn.execute(
        answer_versions.insert().values(
            post_id=post_id,
            version=version,
            body=body,
            written_by=by,
            written_at=at,
            published_at=published_at,
        )
    )


def write_answer(board: Board, post_id: int, actor: str, draft: AnswerDraft) -> int:
    """Write or rewrite the answer; its new version's number.

    A draft stays a draft; a published answer stays published, with the new
    text public at once and the earlier one kept (shown as edited)."""
    now = board.clock()
    by = audit.shown(actor)
    with board.engine.begin() as conn:
        _post_exists(conn, post_id)
        found = conn.execute(
            select(answers.c.version, answers.c.published_at).where(answers.c.post_id == post_id)
        ).first()
        values = {"body": draft.body, "written_by": by, "written_at": now}
        if found is None:
            version, public = 1, None
            conn.execute(answers.insert().values(post_id=post_id, version=version, **values))
        else:
            version = found.version + 1
            public = now if found.published_at is not None else None
            done = conn.execute(
                update(answers)
                .where(answers.c.post_id == post_id, answers.c.version == found.version)
                .values(version=version, **values)
            )
            if done.rowcount != 1:  # another editor wrote meanwhile: nothing is overwritten
                raise Refused(Why.DUPLICATE, f"the answer to post {post_id} changed; write again")
        _append_version(conn, post_id, version, (draft.body, by, now), public)
        action = "answer.write" if found is None else "answer.edit"
        audit.record(conn, actor, action, "post", post_id,
                     {"version": version, "published": public is not None}, now)  # fmt: skip
    return version


def publish_answer(board: Board, post_id: int, actor: str) -> None:
    now = board.clock()
    with board.engine.begin() as conn:
        found = conn.execute(select(answers).where(answers.c.post_id == post_id)).first()
        if found is None:
            raise Refused(Why.NOT_FOUND, f"post {post_id} has no written answer to publish")
        if found.published_at is not None:
            raise Refused(Why.DUPLICATE, f"the answer to post {post_id} is already published")
        version = found.version + 1
        done = conn.execute(
            update(answers)
            .where(answers.c.post_id == post_id, answers.c.version == found.version)
            .values(published_at=now, version=version)
        )
        if done.rowcount != 1:  # written again meanwhile: publish what is there now, again
            raise Refused(Why.DUPLICATE, f"the answer to post {post_id} changed; publish again")
        text = (found.body, found.written_by, found.written_at)
        _append_version(conn, post_id, version, text, now)
        audit.record(conn, actor, "answer.publish", "post", post_id, {"version": version}, now)


def versions(board: Board, post_id: int, *, drafts: bool = False) -> list[AnswerVersionView]:
    """The texts an answer has had, oldest first: those residents were shown (drafts: every one)."""
    query = select(answer_versions).where(answer_versions.c.post_id == post_id)
    if not drafts:
        query = query.where(answer_versions.c.published_at.is_not(None))
    with board.engine.connect() as conn:
        rows = conn.execute(query.order_by(answer_versions.c.version)).all()
    return [AnswerVersionView.of(r) for r in rows]


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
