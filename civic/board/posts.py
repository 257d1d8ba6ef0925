"""Posts: written by verified residents or staff, read through the visibility rule only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select

from civic.board import visibility
from civic.board.chart import ChartRef
from civic.board.context import Author, Board, Refused, Why
from civic.board.datasets import list_datasets
from civic.board.render import render
from civic.board.views import (
    AnswerVersionView,
    AnswerView,
    PostDetail,
    PostSummary,
    author,
    summary,
    thread,
)
from telemetry.db.tables import answer_versions, answers, post_statuses, posts, residents

MAX_BODY = 10_000
FIRST_STATUS = "open"


class PostKind(StrEnum):
    PROPOSAL = "proposal"
    QUESTION = "question"
    DATA_REQUEST = "data_request"
    PROBLEM_REPORT = "problem_report"


class PostDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: PostKind
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown; no raw HTML")
    dong: str = Field(pattern=r"^\d{10}$", description="10-digit administrative dong code")
    site: str | None = Field(default=None, max_length=64)
    chart: ChartRef | None = None


class PostFilter(BaseModel):
    kind: PostKind | None = None
    dong: str | None = None
    status: str | None = None
    q: str | None = Field(default=None, max_length=100, description="search title and body")


def refuse_blocked(conn: Connection, who: Author) -> None:
    if who.resident_id is None:
        return
    blocked = conn.execute(
        select(residents.c.blocked_at).where(residents.c.id == who.resident_id)
    ).scalar_one_or_none()
    if blocked is not None:
        raise Refused(Why.BLOCKED, "this account is blocked from posting; see /v1/board/me")


def create(board: Board, who: Author, draft: PostDraft, snapshot: dict[str, Any] | None) -> int:
    """A new post; a chart reference needs its snapshot (see chart.snapshot)."""
    if (draft.chart is None) != (snapshot is None):
        raise Refused(Why.INVALID, "a chart reference comes with its figures", "chart")
    now = board.clock()
    with board.engine.begin() as conn:
        refuse_blocked(conn, who)
        return conn.execute(
            insert(posts)
            .values(
                kind=draft.kind.value,
                title=draft.title.strip(),
                body=draft.body,
                dong=draft.dong,
                site=draft.site,
                status=FIRST_STATUS,
                chart_ref=draft.chart.model_dump(mode="json") if draft.chart else None,
                chart_snapshot=snapshot,
                created_at=now,
                updated_at=now,
                **who.columns(),
            )
            .returning(posts.c.id)
        ).scalar_one()


def _filtered(f: PostFilter) -> Any:
    query = visibility.visible_posts()
    if f.kind:
        query = query.where(posts.c.kind == f.kind.value)
    if f.dong:
        query = query.where(posts.c.dong == f.dong)
    if f.status:
        query = query.where(posts.c.status == f.status)
    if f.q:
        query = query.where(visibility.matches(f.q))
    return query


def list_posts(
    board: Board, f: PostFilter | None = None, limit: int = 50, offset: int = 0
) -> list[PostSummary]:
    query = _filtered(f or PostFilter()).order_by(posts.c.created_at.desc(), posts.c.id.desc())
    with board.engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    return [summary(r) for r in rows]


def count_posts(board: Board, f: PostFilter | None = None) -> int:
    sub = _filtered(f or PostFilter()).subquery()
    with board.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sub)).scalar_one()


def get(board: Board, post_id: int) -> PostDetail | None:
    """One visible post with its visible thread and published answer; None when hidden."""
    with board.engine.connect() as conn:
        row = conn.execute(visibility.visible_posts().where(posts.c.id == post_id)).first()
        if row is None:
            return None
        comments = conn.execute(visibility.visible_comments(post_id)).all()
        answer = conn.execute(
            visibility.visible_answers().where(answers.c.post_id == post_id)
        ).first()
        public_versions = (
            conn.execute(
                select(answer_versions)
                .where(
                    answer_versions.c.post_id == post_id,
                    answer_versions.c.published_at.is_not(None),
                )
                .order_by(answer_versions.c.version)
            ).all()
            if answer
            else []
        )
    ref = ChartRef.model_validate(row.chart_ref) if row.chart_ref else None
    return PostDetail(
        **summary(row).model_dump(),
        author=author(row),
        body=row.body,
        body_html=render(row.body),
        chart_ref=row.chart_ref,
        chart_live=ref.live_path() if ref else None,
        chart_snapshot=row.chart_snapshot,
        thread=thread(comments),
        datasets=list_datasets(board, post_id=post_id),
        answer=_answer(answer, public_versions) if answer else None,
    )


def _answer(answer: Any, public_versions: list[Any]) -> AnswerView:
    """The published answer; edited when residents were shown more than one text."""
    shown = [AnswerVersionView.of(v) for v in public_versions]
    return AnswerView(
        body=answer.body,
        body_html=render(answer.body),
        written_by=answer.written_by,
        published_at=answer.published_at,
        edited=len(shown) > 1,
        edited_at=shown[-1].published_at if len(shown) > 1 else None,
        versions=shown,
    )


def open_post(conn: Connection, post_id: int) -> Any:
    """The post if visible and not closed; refused otherwise (supports, comments)."""
    row = conn.execute(
        select(posts.c.id, posts.c.threshold_at, post_statuses.c.closed)
        .join(post_statuses, post_statuses.c.token == posts.c.status)
        .where(posts.c.id == post_id, visibility.post_visible())
    ).first()
    if row is None:
        raise Refused(Why.NOT_FOUND, f"no post {post_id}")
    if row.closed:
        raise Refused(Why.CLOSED, f"post {post_id} is closed")
    return row
