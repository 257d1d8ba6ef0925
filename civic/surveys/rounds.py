"""Survey rounds: created from a template, opened, closed, published; the next one drafted.

A round runs draft → open → closed → published. Staff open a draft (after
reviewing its cloned questions), may close it early, and publish its results;
`tick(now)` closes rounds past their close time, publishes closed ones past
their publication time, and drafts each template's next round `interval`
months after the last one opened, `lead` days ahead so staff can review it.
Closing writes out the round's sealed responses through the mixer
(mixing.py), in the closing transaction, so results read only mixed rows.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.surveys.sealing import SEAL_ID
from civic.surveys.template import Template
from telemetry.db.tables import survey_rounds

Clock = Callable[[], datetime]
OnClose = Callable[[Connection, int], object]


class Status(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class RoundRefused(Exception):
    """A round action not allowed now (wrong state, unknown round); says why."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    template: str
    number: int
    title: str
    questions: Template
    status: Status
    opens_at: datetime
    closes_at: datetime
    publish_at: datetime
    published_at: datetime | None
    seal_key: str | None = None  # the survey key it opened under (sealing.py)

    def accepting(self, now: datetime) -> bool:
        return self.status is Status.OPEN and self.opens_at <= now < self.closes_at

    @property
    def results_ready(self) -> bool:
        return self.status in (Status.CLOSED, Status.PUBLISHED)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def add_months(at: datetime, months: int) -> datetime:
    """The same day and time `months` later (the 31st becomes the month's last day)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def to_round(row: Row[Any]) -> Round:
    return Round(
        id=row.id,
        template=row.template,
        number=row.number,
        title=row.title,
        questions=Template.model_validate(row.questions),
        status=Status(row.status),
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        publish_at=row.publish_at,
        published_at=row.published_at,
        seal_key=row.seal_key,
    )


class SurveyRounds:
    def __init__(
        self,
        engine: Engine,
        templates: dict[str, Template],
        *,
        interval_months: int = 5,
        lead_days: int = 14,
        clock: Clock = _utc_now,
        on_close: OnClose | None = None,
        seal_key: str = SEAL_ID,
    ) -> None:
        self.engine, self.templates, self.clock = engine, templates, clock
        # Recorded on each round as it opens: its responses stay under that key.
        self.seal_key = seal_key
        # Run in the closing transaction (the mixer): a round is never closed unmixed.
        self.on_close = on_close
        self.interval_months, self.lead = interval_months, timedelta(days=lead_days)

    def create(
        self, template: str, opens_at: datetime, closes_at: datetime, publish_at: datetime
    ) -> Round:
        """A draft round of `template`, numbered after its last one."""
        if template not in self.templates:
            raise RoundRefused("unknown_template", f"no survey template '{template}'")
        if not opens_at < closes_at <= publish_at:
            raise RoundRefused("bad_dates", "a round opens, then closes, then publishes")
        with self.engine.begin() as conn:
            last = self._latest(conn, template)
            return self._insert(
                conn, template, (last.number if last else 0) + 1, (opens_at, closes_at, publish_at)
            )

    def get(self, round_id: int) -> Round:
        with self.engine.connect() as conn:
            row = conn.execute(select(survey_rounds).where(survey_rounds.c.id == round_id)).first()
        if row is None:
            raise RoundRefused("unknown_round", f"no survey round {round_id}")
        return to_round(row)

    def list(self, *, drafts: bool = False) -> list[Round]:
        query = select(survey_rounds).order_by(survey_rounds.c.template, survey_rounds.c.number)
        if not drafts:
            query = query.where(survey_rounds.c.status != Status.DRAFT.value)
        with self.engine.connect() as conn:
            return [to_round(r) for r in conn.execute(query)]

    def open(self, round_id: int) -> Round:
        return self._move(round_id, Status.DRAFT, Status.OPEN, seal_key=self.seal_key)

    def close(self, round_id: int) -> Round:
        """Closed, and its sealed responses mixed out in the same transaction."""
        return self._move(round_id, Status.OPEN, Status.CLOSED, on_moved=self.on_close)

    def publish(self, round_id: int) -> Round:
        return self._move(round_id, Status.CLOSED, Status.PUBLISHED, published_at=self.clock())

    def reschedule(
        self, round_id: int, opens_at: datetime, closes_at: datetime, publish_at: datetime
    ) -> Round:
        """A draft's dates, as staff set them in review."""
        if not opens_at < closes_at <= publish_at:
            raise RoundRefused("bad_dates", "a round opens, then closes, then publishes")
        return self._move(
            round_id,
            Status.DRAFT,
            Status.DRAFT,
            opens_at=opens_at,
            closes_at=closes_at,
            publish_at=publish_at,
        )

    def tick(self) -> list[Round]:
        """Close, publish and draft what is due now; the rounds changed or created."""
        now, changed = self.clock(), []
        for r in self.list():
            if r.status is Status.OPEN and now >= r.closes_at:
                changed.append(self.close(r.id))
            elif r.status is Status.CLOSED and now >= r.publish_at:
                changed.append(self.publish(r.id))
        for template in self.templates:
            drafted = self._draft_next(template, now)
            if drafted is not None:
                changed.append(drafted)
        return changed

    def _draft_next(self, template: str, now: datetime) -> Round | None:
        with self.engine.begin() as conn:
            last = self._latest(conn, template)
            if last is None or last.status is Status.DRAFT:
                return None
            opens = add_months(last.opens_at, self.interval_months)
            if now < opens - self.lead:
                return None
            times = (
                opens,
                opens + (last.closes_at - last.opens_at),
                opens + (last.publish_at - last.opens_at),
            )
            try:
                with conn.begin_nested():
                    return self._insert(conn, template, last.number + 1, times)
            except IntegrityError:
                return None  # another process drafted it first

    def _insert(
        self,
        conn: Connection,
        template: str,
        number: int,
        times: tuple[datetime, datetime, datetime],
    ) -> Round:
        t = self.templates[template]
        row = conn.execute(
            insert(survey_rounds)
            .values(
                template=template,
                number=number,
                title=f"{t.title} ({number}차)",
                questions=t.model_dump(mode="json"),
                status=Status.DRAFT.value,
                opens_at=times[0],
                closes_at=times[1],
                publish_at=times[2],
            )
            .returning(*survey_rounds.c)
        ).one()
        return to_round(row)

    def _latest(self, conn: Connection, template: str) -> Round | None:
        row = conn.execute(
            select(survey_rounds)
            .where(survey_rounds.c.template == template)
            .order_by(survey_rounds.c.number.desc())
            .limit(1)
        ).first()
        return None if row is None else to_round(row)

    def _move(
        self, round_id: int, frm: Status, to: Status, on_moved: OnClose | None = None, **values: Any
    ) -> Round:
        with self.engine.begin() as conn:
            row = conn.execute(
                update(survey_rounds)
                .where(survey_rounds.c.id == round_id, survey_rounds.c.status == frm.value)
                .values(status=to.value, **values)
                .returning(*survey_rounds.c)
            ).first()
            if row is not None and on_moved is not None:
                on_moved(conn, round_id)
        if row is None:
            current = self.get(round_id)  # RoundRefused if unknown
            raise RoundRefused(
                "wrong_state", f"round {round_id} is {current.status.value}, not {frm.value}"
            )
        return to_round(row)
