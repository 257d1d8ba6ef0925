"""Shared data: CSV files a site's manager or city staff publishes, on a post or a site.

Only CSV, at most MAX_BYTES, UTF-8, a header row and the same number of
cells on every line, so that what residents download is what the board
promises (a table, not an executable or a spreadsheet with macros).
Publishing on a `data_request` closes it. A dataset on a hidden post is
hidden with it (the visibility rule).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re

from sqlalchemy import insert, select, update

from civic.board import visibility
from civic.board.context import Board, Refused, Why
from civic.board.views import DatasetView
from telemetry.db import audit
from telemetry.db.tables import datasets, posts

MAX_BYTES = 2 * 1024 * 1024
MAX_COLUMNS = 200
MEDIA_TYPE = "text/csv"
NAME_PATTERN = r"^[\w.-]{1,116}\.csv$"  # the API's schema states it
_NAME = re.compile(NAME_PATTERN)


def check_csv(content: bytes) -> int:
    """Data rows of a well-formed CSV; refused with the line that breaks the rule."""
    if len(content) > MAX_BYTES:
        raise Refused(Why.INVALID, f"at most {MAX_BYTES} bytes per dataset", "body")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(Why.INVALID, f"not UTF-8 at byte {exc.start}", "body") from exc
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise Refused(Why.INVALID, f"not CSV: {exc}", "body") from exc
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise Refused(Why.INVALID, "a CSV needs a header row", "body")
    width = len(lines[0])
    if width > MAX_COLUMNS:
        raise Refused(Why.INVALID, f"at most {MAX_COLUMNS} columns", "body")
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != width:
            raise Refused(
                Why.INVALID, f"line {number}: {len(line)} cells, the header has {width}", "body"
            )
    return len(lines) - 1


def publish(
    board: Board,
    publisher: str,
    title: str,
    filename: str,
    content: bytes,
    site: str | None = None,
    post_id: int | None = None,
) -> int:
    if site is None and post_id is None:
        raise Refused(Why.CONFLICT, "a dataset belongs to a post or a site", "post_id")
    if not _NAME.match(filename):
        raise Refused(
            Why.INVALID, "filename: letters, digits, . _ - and .csv at the end", "filename"
        )
    row_count = check_csv(content)
    now = board.clock()
    with board.engine.begin() as conn:
        if post_id is not None:
            post = conn.execute(
                select(posts.c.kind).where(posts.c.id == post_id, visibility.post_visible())
            ).first()
            if post is None:
                raise Refused(Why.NOT_FOUND, f"no post {post_id}")
            if post.kind == "data_request":
                conn.execute(
                    update(posts)
                    .where(posts.c.id == post_id)
                    .values(status="closed", updated_at=now)
                )
        new_id: int = conn.execute(
            insert(datasets)
            .values(
                title=title,
                site=site,
                post_id=post_id,
                publisher=publisher,
                filename=filename,
                media_type=MEDIA_TYPE,
                size_bytes=len(content),
                row_count=row_count,
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                created_at=now,
            )
            .returning(datasets.c.id)
        ).scalar_one()
        # The publisher is the credential's actor (staff:<name>, site:<site>, machine:...).
        audit.record(conn, publisher, "dataset.publish", "dataset", new_id,
                     {"title": title, "site": site, "post_id": post_id, "rows": row_count}, now)  # fmt: skip
        return new_id


def list_datasets(
    board: Board, site: str | None = None, post_id: int | None = None
) -> list[DatasetView]:
    query = visibility.visible_datasets().order_by(datasets.c.created_at.desc(), datasets.c.id)
    if site is not None:
        query = query.where(datasets.c.site == site)
    if post_id is not None:
        query = query.where(datasets.c.post_id == post_id)
    with board.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        DatasetView.model_validate(dict(r._mapping) | {"url": f"/v1/board/datasets/{r.id}.csv"})
        for r in rows
    ]


def content(board: Board, dataset_id: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of a visible dataset."""
    query = select(datasets.c.filename, datasets.c.content).where(
        datasets.c.id == dataset_id, visibility.dataset_visible()
    )
    with board.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (row.filename, bytes(row.content))
