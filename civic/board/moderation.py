"""Reports, hiding, restoring and blocking; every action in the append-only moderation log
and in the audit log (telemetry/db/audit.py), in the action's own transaction.

`moderation_log` stays: it holds the note the author is shown (`mine`) and
the resident an action was about; the audit log holds the same action with
its actor as the credential named it (`staff:<name>`, `machine:admin-token`,
`system`) and never a resident id (only the item, or "the author of" it).

An item with `auto_hide_reports` pending reports is hidden at once (reason
`reports`) until a moderator decides: hide it for good (`moderator`) or
restore it; either decision resolves the pending reports. Blocking an author
hides all their content (`author_blocked`) and refuses their new writing;
unblocking restores exactly what the block hid. The author sees why (`mine`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, Row, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.board import visibility
from civic.board.context import Board, Refused, Why
from telemetry.db import audit
from telemetry.db.tables import comments, moderation_log, posts, reports, residents

SYSTEM = audit.SYSTEM


class ItemKind(StrEnum):
    POST = "post"
    COMMENT = "comment"


class Reason(StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"


class Hidden(StrEnum):
    REPORTS = "reports"
    MODERATOR = "moderator"
    AUTHOR_BLOCKED = "author_blocked"


_TABLES: dict[ItemKind, tuple[Table, Callable[[], ColumnElement[bool]]]] = {
    ItemKind.POST: (posts, visibility.post_visible),
    ItemKind.COMMENT: (comments, visibility.comment_visible),
}


class HiddenItem(BaseModel):
    kind: ItemKind
    id: int
    reason: str
    hidden_at: datetime
    note: str | None


class Mine(BaseModel):
    """What the author is told: whether they are blocked and which of their items are hidden, why."""

    blocked: bool
    blocked_reason: str | None
    hidden: list[HiddenItem]


def _log(
    conn: Connection,
    at: datetime,
    actor: str,
    action: str,
    note: str,
    target: tuple[str, object],
    **what: object,
) -> None:
    """The moderation log (the author's view) and the audit log, in one transaction."""
    conn.execute(
        insert(moderation_log).values(
            at=at, actor=audit.shown(actor)[:64], action=action, note=note, **what
        )
    )
    audit.record(conn, actor, f"moderation.{action}", target[0], target[1], {"note": note}, at)


def report(board: Board, reporter_id: int, kind: ItemKind, item_id: int, reason: Reason) -> bool:
    """Report a visible item once; True when this report hid it."""
    kind, reason = ItemKind(kind), Reason(reason)
    table, visible = _TABLES[kind]
    now = board.clock()
    try:
        with board.engine.begin() as conn:
            seen = conn.execute(select(table.c.id).where(table.c.id == item_id, visible())).first()
            if seen is None:
                raise Refused(Why.NOT_FOUND, f"no {kind.value} {item_id}")
            conn.execute(
                insert(reports).values(
                    item_kind=kind.value,
                    item_id=item_id,
                    reporter_id=reporter_id,
                    reason=reason.value,
                    created_at=now,
                )
            )
            pending = conn.execute(
                select(func.count()).select_from(reports).where(*_pending(kind, item_id))
            ).scalar_one()
            if pending < board.config.auto_hide_reports:
                return False
            _set_hidden(conn, table, item_id, now, Hidden.REPORTS)
            _log(conn, now, SYSTEM, "auto_hide", f"{pending} pending reports",
                 (kind.value, item_id), item_kind=kind.value, item_id=item_id)  # fmt: skip
            return True
    except IntegrityError as exc:
        raise Refused(Why.DUPLICATE, f"you already reported this {kind.value}") from exc


def _pending(kind: ItemKind, item_id: int) -> tuple:
    return (
        reports.c.item_kind == kind.value,
        reports.c.item_id == item_id,
        reports.c.resolved_at.is_(None),
    )


def _set_hidden(
    conn: Connection, table: Table, item_id: int, at: datetime | None, why: Hidden | None
) -> None:
    conn.execute(
        update(table)
        .where(table.c.id == item_id)
        .values(hidden_at=at, hidden_reason=why.value if why else None)
    )


def _decide(board: Board, actor: str, kind: ItemKind, item_id: int, note: str, hide: bool) -> None:
    kind = ItemKind(kind)
    table, _ = _TABLES[kind]
    now = board.clock()
    with board.engine.begin() as conn:
        row = conn.execute(select(table).where(table.c.id == item_id)).first()
        if row is None:
            raise Refused(Why.NOT_FOUND, f"no {kind.value} {item_id}")
        if not hide and row.hidden_reason == Hidden.AUTHOR_BLOCKED:
            raise Refused(Why.CONFLICT, "its author is blocked: unblock the author instead")
        _set_hidden(conn, table, item_id, now if hide else None, Hidden.MODERATOR if hide else None)
        conn.execute(update(reports).where(*_pending(kind, item_id)).values(resolved_at=now))
        _log(conn, now, actor, "hide" if hide else "restore", note, (kind.value, item_id),
             item_kind=kind.value, item_id=item_id, resident_id=row.author_id)  # fmt: skip


def hide(board: Board, actor: str, kind: ItemKind, item_id: int, note: str) -> None:
    _decide(board, actor, kind, item_id, note, hide=True)


def restore(board: Board, actor: str, kind: ItemKind, item_id: int, note: str) -> None:
    _decide(board, actor, kind, item_id, note, hide=False)


def block(
    board: Board, actor: str, resident_id: int, note: str, via: tuple[str, int] | None = None
) -> None:
    """Block an author: their visible posts and comments are hidden, new writing refused.

    `via` is the item the moderator acted on (kind, id): the audit log names it, not the
    resident."""
    _set_block(board, actor, resident_id, note, blocking=True, via=via)


def unblock(
    board: Board, actor: str, resident_id: int, note: str, via: tuple[str, int] | None = None
) -> None:
    """Lift a block and restore what it hid (not what reports or moderators hid)."""
    _set_block(board, actor, resident_id, note, blocking=False, via=via)


def _set_block(
    board: Board,
    actor: str,
    resident_id: int,
    note: str,
    blocking: bool,
    via: tuple[str, int] | None,
) -> None:
    now = board.clock()
    was_blocked = residents.c.blocked_at.is_not(None)
    by_block = Hidden.AUTHOR_BLOCKED.value
    with board.engine.begin() as conn:
        done = conn.execute(
            update(residents)
            .where(residents.c.id == resident_id, ~was_blocked if blocking else was_blocked)
            .values(blocked_at=now if blocking else None, blocked_reason=note if blocking else None)
        )
        if done.rowcount != 1:
            state = "unblocked" if blocking else "blocked"
            raise Refused(Why.NOT_FOUND, f"no {state} resident {resident_id}")
        for table in (posts, comments):
            which = table.c.hidden_at.is_(None) if blocking else table.c.hidden_reason == by_block
            conn.execute(
                update(table)
                .where(table.c.author_id == resident_id, which)
                .values(
                    hidden_at=now if blocking else None,
                    hidden_reason=by_block if blocking else None,
                )
            )
        target = (f"author_of_{via[0]}", via[1]) if via else ("resident", None)
        _log(conn, now, actor, "block" if blocking else "unblock", note, target,
             resident_id=resident_id)  # fmt: skip


def mine(board: Board, resident_id: int) -> Mine:
    with board.engine.connect() as conn:
        who = conn.execute(select(residents).where(residents.c.id == resident_id)).one()
        hidden = [
            _hidden_item(conn, kind, r)
            for kind, (table, _) in _TABLES.items()
            for r in conn.execute(
                select(table.c.id, table.c.hidden_at, table.c.hidden_reason).where(
                    table.c.author_id == resident_id, table.c.hidden_at.is_not(None)
                )
            )
        ]
    return Mine(
        blocked=who.blocked_at is not None, blocked_reason=who.blocked_reason, hidden=hidden
    )


def _hidden_item(conn: Connection, kind: ItemKind, row: Row[Any]) -> HiddenItem:
    note = conn.execute(
        select(moderation_log.c.note)
        .where(moderation_log.c.item_kind == kind.value, moderation_log.c.item_id == row.id)
        .order_by(moderation_log.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return HiddenItem(
        kind=kind, id=row.id, reason=row.hidden_reason, hidden_at=row.hidden_at, note=note
    )


class QueueItem(BaseModel):
    """A reported item waiting for a moderator (staff only: hidden items included)."""

    kind: ItemKind
    id: int
    pending: int
    reasons: dict[str, int]
    hidden_reason: str | None


def queue(board: Board) -> list[QueueItem]:
    query = (
        select(reports.c.item_kind, reports.c.item_id, reports.c.reason, func.count().label("n"))
        .where(reports.c.resolved_at.is_(None))
        .group_by(reports.c.item_kind, reports.c.item_id, reports.c.reason)
    )
    items: dict[tuple[str, int], QueueItem] = {}
    with board.engine.connect() as conn:
        for r in conn.execute(query):
            kind = ItemKind(r.item_kind)
            if (kind, r.item_id) not in items:
                table, _ = _TABLES[kind]
                why = conn.execute(
                    select(table.c.hidden_reason).where(table.c.id == r.item_id)
                ).scalar_one_or_none()
                items[kind, r.item_id] = QueueItem(
                    kind=kind, id=r.item_id, pending=0, reasons={}, hidden_reason=why
                )
            item = items[kind, r.item_id]
            item.pending += r.n
            item.reasons[r.reason] = r.n
    return sorted(items.values(), key=lambda i: -i.pending)


def author_of(board: Board, kind: ItemKind, item_id: int) -> int:
    """The resident who wrote an item: moderators block by item, never by a resident id."""
    table, _ = _TABLES[ItemKind(kind)]
    with board.engine.connect() as conn:
        found = conn.execute(select(table.c.author_id).where(table.c.id == item_id)).first()
    if found is None or found.author_id is None:
        raise Refused(Why.NOT_FOUND, f"no {kind} {item_id} written by a resident")
    return found.author_id
