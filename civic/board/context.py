"""What every board operation works with: the database, the rules, the clock, who acts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine

from civic.board.config import BoardConfig


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Board:
    engine: Engine
    config: BoardConfig = field(default_factory=BoardConfig)
    clock: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class Author:
    """A verified resident (resident_id) or city staff (staff name), never both."""

    resident_id: int | None = None
    staff: str | None = None

    def __post_init__(self) -> None:
        if (self.resident_id is None) == (self.staff is None):
            raise ValueError("an author is a resident or staff, not both or neither")

    def columns(self) -> dict[str, int | str | None]:
        return {"author_id": self.resident_id, "author_staff": self.staff}


class Why(StrEnum):
    NOT_FOUND = "not_found"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    BLOCKED = "blocked"
    INVALID = "invalid"
    # Allowed by the request's form, refused by what the board holds (a status it does not
    # have, an author already blocked): a conflict, never a malformed request.
    CONFLICT = "conflict"


class Refused(Exception):
    """A board operation refused, with the reason a route turns into a problem."""

    def __init__(self, why: Why, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.why, self.detail, self.field = why, detail, field
