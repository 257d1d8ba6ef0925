"""Responses: one per household per round, stored apart from who gave it.

A submission writes two rows in one transaction: the participation (round,
household key) whose primary key refuses a second response from the same
household, online or on paper; and the response (random UUID4, the
respondent site's district and building type, the answers, the day). The two
share no column but the round. An online respondent gets a random edit token
(only its SHA-256 is stored), kept in their session, to change the answers
until the round closes; a paper response is final when entered.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.board.codes import CodeRefused, code_hash
from civic.surveys.answers import check_answers
from civic.surveys.rounds import Round, SurveyRounds
from civic.surveys.template import TEXT_TYPES
from telemetry.db.tables import participation_codes, survey_participations, survey_responses

KST = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True, slots=True)
class Stratum:
    """What a response says about its respondent: the site's district and building type."""

    district: str
    building_type: str


SiteLookup = Callable[[str], Stratum]


class ResponseRefused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SurveyResponses:
    def __init__(self, rounds: SurveyRounds, site_stratum: SiteLookup) -> None:
        self.rounds, self.site_stratum = rounds, site_stratum
        self.engine: Engine = rounds.engine

    def submit(self, round_id: int, household_key: str, site: str, answers: dict[str, Any]) -> str:
        """A verified resident's response; the edit token to keep in their session."""
        token = secrets.token_urlsafe(32)
        self._submit(round_id, household_key, site, answers, token_hash(token))
        return token

    def submit_paper(self, round_id: int, code: str, answers: dict[str, Any]) -> None:
        """A paper response entered by staff with the household's participation code."""
        try:
            digest = code_hash(code)
        except CodeRefused:
            raise ResponseRefused("unknown_code", "not a participation code") from None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(participation_codes.c.household_key, participation_codes.c.site).where(
                    participation_codes.c.code_hash == digest
                )
            ).first()
        if row is None:
            raise ResponseRefused("unknown_code", "no household holds this participation code")
        self._submit(round_id, row.household_key, row.site, answers, None)

    def edit(self, round_id: int, token: str, answers: dict[str, Any]) -> None:
        """New answers for the response this token opens, while the round is open."""
        current = self._accepting(round_id)
        clean = check_answers(current.questions, answers)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(survey_responses)
                .where(
                    survey_responses.c.round_id == round_id,
                    survey_responses.c.edit_hash == token_hash(token),
                )
                .values(answers=clean, saved_on=self._today())
            )
        if done.rowcount != 1:
            raise ResponseRefused("no_response", "this session holds no response to this round")

    def own(self, round_id: int, token: str) -> dict[str, Any]:
        """The answers this edit token opens (the resident's own, while the round is open)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(survey_responses.c.answers).where(
                    survey_responses.c.round_id == round_id,
                    survey_responses.c.edit_hash == token_hash(token),
                )
            ).first()
        if row is None:
            raise ResponseRefused("no_response", "this session holds no response to this round")
        return dict(row.answers)

    def approve_text(self, round_id: int, response_id: str, question_id: str) -> None:
        """Staff approve one free-text answer for publication (after the round closes)."""
        current = self.rounds.get(round_id)
        q = current.questions.question(question_id)
        if q is None or q.type not in TEXT_TYPES:
            raise ResponseRefused("not_text", f"'{question_id}' is not a free-text question")
        if not current.results_ready:
            raise ResponseRefused("round_open", "free text is moderated once the round closes")
        with self.engine.begin() as conn:
            row = self._response(conn, round_id, response_id)
            if question_id not in row.answers:
                raise ResponseRefused("no_answer", f"response has no answer to '{question_id}'")
            approved = sorted(set(row.approved_texts) | {question_id})
            conn.execute(
                update(survey_responses)
                .where(survey_responses.c.id == response_id)
                .values(approved_texts=approved)
            )

    def pending_texts(self, round_id: int) -> list[dict[str, str]]:
        """Free-text answers awaiting moderation: response id, question id, text."""
        current = self.rounds.get(round_id)
        if not current.results_ready:
            raise ResponseRefused("round_open", "free text is moderated once the round closes")
        texts = {q.id for q in current.questions.questions() if q.type in TEXT_TYPES}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(survey_responses).where(survey_responses.c.round_id == round_id)
            ).all()
        return [
            {"response_id": r.id, "question_id": qid, "text": r.answers[qid]}
            for r in sorted(rows, key=lambda r: r.id)
            for qid in sorted(texts & set(r.answers) - set(r.approved_texts))
        ]

    def _submit(
        self, round_id: int, key: str, site: str, answers: dict[str, Any], edit: str | None
    ) -> None:
        current = self._accepting(round_id)
        clean = check_answers(current.questions, answers)
        stratum = self.site_stratum(site)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(survey_participations).values(round_id=round_id, household_key=key)
                )
                conn.execute(
                    insert(survey_responses).values(
                        id=uuid.uuid4().hex,
                        round_id=round_id,
                        district=stratum.district,
                        building_type=stratum.building_type,
                        answers=clean,
                        saved_on=self._today(),
                        edit_hash=edit,
                        approved_texts=[],
                    )
                )
        except IntegrityError:
            raise ResponseRefused(
                "already_answered", "this household has already answered this round"
            ) from None

    def _accepting(self, round_id: int) -> Round:
        current = self.rounds.get(round_id)
        if not current.accepting(self.rounds.clock()):
            raise ResponseRefused(
                "not_open", f"round {round_id} is not taking answers ({current.status.value})"
            )
        return current

    def _today(self) -> date:
        now: datetime = self.rounds.clock()
        return now.astimezone(KST).date()

    @staticmethod
    def _response(conn: Connection, round_id: int, response_id: str) -> Any:
        row = conn.execute(
            select(survey_responses).where(
                survey_responses.c.id == response_id, survey_responses.c.round_id == round_id
            )
        ).first()
        if row is None:
            raise ResponseRefused("no_response", f"no response {response_id} in round {round_id}")
        return row
