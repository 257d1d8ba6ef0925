"""What the board shows: answer models built from visible rows only (never a resident key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row

from civic.board.render import render


class AuthorView(BaseModel):
    kind: Literal["resident", "staff"]
    name: str | None = Field(default=None, description="staff name; residents are not named")


class StatusView(BaseModel):
    token: str
    label_ko: str
    label_en: str
    colour: str
    closed: bool


class CommentView(BaseModel):
    id: int
    parent_id: int | None
    author: AuthorView
    body: str
    body_html: str
    created_at: datetime
    replies: list[CommentView] = Field(default_factory=list)


class AnswerVersionView(BaseModel):
    """One text an official answer had (versions are kept; see answers.py)."""

    version: int
    body: str
    body_html: str
    written_by: str
    written_at: datetime
    published_at: datetime | None = Field(description="when residents were first shown it")

    @classmethod
    def of(cls, row: Any) -> AnswerVersionView:
        return cls(
            version=row.version,
            body=row.body,
            body_html=render(row.body),
            written_by=row.written_by,
            written_at=row.written_at,
            published_at=row.published_at,
        )


class AnswerView(BaseModel):
    body: str
    body_html: str
    written_by: str
    published_at: datetime = Field(description="first published")
    edited: bool = Field(
        default=False, description="changed after it was first published (see `versions`)"
    )
    edited_at: datetime | None = Field(default=None, description="when the current text was shown")
    versions: list[AnswerVersionView] = Field(
        default_factory=list, description="every text residents were shown, oldest first"
    )


class DatasetView(BaseModel):
    id: int
    title: str
    site: str | None
    post_id: int | None
    publisher: str
    filename: str
    size_bytes: int
    row_count: int
    sha256: str
    created_at: datetime
    url: str


class PostSummary(BaseModel):
    id: int
    kind: str
    title: str
    dong: str
    site: str | None
    status: str
    supports: int
    comments: int
    created_at: datetime
    answer_due_at: datetime | None
    has_chart: bool


class PostDetail(PostSummary):
    author: AuthorView
    body: str
    body_html: str
    chart_ref: dict[str, Any] | None
    chart_live: str | None = Field(description="the public route with today's figures")
    chart_snapshot: dict[str, Any] | None = Field(description="the figures when posted")
    thread: list[CommentView]
    answer: AnswerView | None
    datasets: list[DatasetView] = Field(description="data published on this post")


def author(row: Row[Any]) -> AuthorView:
    if row.author_staff is not None:
        return AuthorView(kind="staff", name=row.author_staff)
    return AuthorView(kind="resident")


def summary(row: Row[Any]) -> PostSummary:
    return PostSummary(
        id=row.id,
        kind=row.kind,
        title=row.title,
        dong=row.dong,
        site=row.site,
        status=row.status,
        supports=row.supports,
        comments=row.comments,
        created_at=row.created_at,
        answer_due_at=row.answer_due_at,
        has_chart=row.chart_ref is not None,
    )


def thread(rows: list[Row[Any]]) -> list[CommentView]:
    """Comments two levels deep: top-level comments with their replies, oldest first."""
    top: dict[int, CommentView] = {}
    replies: list[tuple[int, CommentView]] = []
    for r in rows:
        view = CommentView(
            id=r.id,
            parent_id=r.parent_id,
            author=author(r),
            body=r.body,
            body_html=render(r.body),
            created_at=r.created_at,
        )
        if r.parent_id is None:
            top[r.id] = view
        else:
            replies.append((r.parent_id, view))
    for parent_id, view in replies:
        if parent_id in top:
            top[parent_id].replies.append(view)
    return list(top.values())
