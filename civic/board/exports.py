"""Open data of the board and its feed: visible posts, published answers, statuses.

Built on the visibility rule like every other surface; no column names a
resident (no id, no key): an author is `resident` or a staff name.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from civic.board import visibility
from civic.board.answers import statuses
from civic.board.context import Board
from telemetry.db.tables import answers, posts

POST_COLUMNS = [
    "id", "kind", "title", "body", "dong", "site", "status", "supports", "comments",
    "author", "created_at", "threshold_at", "answer_due_at",
]  # fmt: skip
ANSWER_COLUMNS = ["post_id", "body", "written_by", "published_at", "days_to_answer"]
TABLES = ("posts", "answers", "statuses")


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def post_rows(board: Board) -> list[dict[str, Any]]:
    query = visibility.visible_posts().order_by(posts.c.id)
    with board.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "title": r.title,
            "body": r.body,
            "dong": r.dong,
            "site": r.site,
            "status": r.status,
            "supports": r.supports,
            "comments": r.comments,
            "author": r.author_staff or "resident",
            "created_at": _when(r.created_at),
            "threshold_at": _when(r.threshold_at),
            "answer_due_at": _when(r.answer_due_at),
        }
        for r in rows
    ]


def answer_rows(board: Board) -> list[dict[str, Any]]:
    query = (
        visibility.visible_answers()
        .add_columns(posts.c.threshold_at)
        .join(posts, posts.c.id == answers.c.post_id)
        .order_by(answers.c.post_id)
    )
    with board.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "post_id": r.post_id,
            "body": r.body,
            "written_by": r.written_by,
            "published_at": _when(r.published_at),
            "days_to_answer": round((r.published_at - r.threshold_at).total_seconds() / 86400, 2)
            if r.threshold_at
            else None,
        }
        for r in rows
    ]


def status_rows(board: Board) -> list[dict[str, Any]]:
    return [s.model_dump() for s in statuses(board)]


def rows(board: Board, table: str) -> list[dict[str, Any]]:
    return {"posts": post_rows, "answers": answer_rows, "statuses": status_rows}[table](board)


def to_csv(records: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    out = io.StringIO()
    fields = columns or (list(records[0]) if records else [])
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in records:
        # A cell opening with = + - @ would run as a formula in a spreadsheet.
        writer.writerow({k: _inert(v) for k, v in r.items()})
    return out.getvalue()


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def feed(board: Board, base_url: str, limit: int = 30) -> dict[str, Any]:
    """The newest visible posts as a JSON Feed 1.1 document."""
    query = visibility.visible_posts().order_by(posts.c.created_at.desc(), posts.c.id.desc())
    with board.engine.connect() as conn:
        latest = conn.execute(query.limit(limit)).all()
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "광주 에너지 주민참여 게시판 / Gwangju energy residents' board",
        "home_page_url": f"{base_url}/v1/board/posts",
        "feed_url": f"{base_url}/v1/board/feed.json",
        "items": [
            {
                "id": str(r.id),
                "url": f"{base_url}/v1/board/posts/{r.id}",
                "title": r.title,
                "content_text": r.body,
                "date_published": _when(r.created_at),
                "tags": [r.kind, r.status, r.dong],
            }
            for r in latest
        ],
    }


def columns(table: str) -> list[str] | None:
    return {"posts": POST_COLUMNS, "answers": ANSWER_COLUMNS}.get(table)
