"""Responses: one per household per round, sealed until the round closes.

A submission writes two rows in one transaction: the participation (round,
an HMAC of round and household, sealing.py) whose primary key refuses a
second response from the same household, online or on paper; and the sealed
response (random id, the respondent site's district and building type and
the answers, sealed under the round's key and padded to one size). Nobody
reading the database can open the one or name the household of the other;
at close the mixer (mixing.py) writes the plain rows the results read.

An online respondent gets a random edit handle (only its SHA-256 is stored,
on the sealed row) to read and change the answers until the round closes;
the HTTP layer keeps it in the answering session's browser only. A paper
response is final when entered.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.board.codes import CodeRefused, code_hash
from civic.surveys.answers import check_answers
from civic.surveys.mixing import random_id
from civic.surveys.rounds import Round, Status, SurveyRounds
from civic.surveys.sealing import RoundKey, SealUnavailable, SurveyKeys, sealed_size
from civic.surveys.template import TEXT_TYPES
from telemetry.db.tables import (
    participation_codes,
    survey_participations,
    survey_responses,
    survey_rounds,
    survey_sealed,
)


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
    def __init__(
        self,
        rounds: SurveyRounds,
        site_stratum: SiteLookup,
        keys: SurveyKeys,
        rng: random.Random | None = None,
    ) -> None:
        self.rounds, self.site_stratum, self.keys = rounds, site_stratum, keys
        self.rng = rng or secrets.SystemRandom()
        self.engine: Engine = rounds.engine

    def submit(self, round_id: int, household_key: str, site: str, answers: dict[str, Any]) -> str:
        """A verified resident's response; the edit handle for their browser."""
        handle = secrets.token_urlsafe(32)
        self._submit(round_id, household_key, site, answers, token_hash(handle))
        return handle

    def submit_paper(self, round_id: int, code: str, answers: dict[str, Any]) -> None:
        """A paper response entered by staff with the household's participation code."""
        try:
            digest = code_hash(code)
        except CodeRefused:
            raise ResponseRefused("unknown_code", "not a participation code") from None
        codes = participation_codes.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(codes.household_key, codes.site, codes.cancelled_at, codes.expires_at).where(
                    codes.code_hash == digest
                )
            ).first()
        if row is None:
            raise ResponseRefused("unknown_code", "no household holds this participation code")
        # A replaced or revoked code may be in a finder's hands; an expired one opens nothing.
        if row.cancelled_at is not None:
            raise ResponseRefused("code_cancelled", "this participation code was cancelled")
        if row.expires_at <= self.rounds.clock():
            raise ResponseRefused("code_expired", "this participation code has expired")
        self._submit(round_id, row.household_key, row.site, answers, None)

    def answered(self, round_id: int, household_key: str) -> bool:
        """Whether this household has answered the round (online or on paper)."""
        current = self.rounds.get(round_id)
        if current.seal_key is None:
            return False  # a draft: nobody has answered it
        key = self._key(current).participation(round_id, household_key)
        with self.engine.connect() as conn:
            found = conn.execute(
                select(survey_participations.c.round_id).where(
                    survey_participations.c.round_id == round_id,
                    survey_participations.c.household_key == key,
                )
            ).first()
        return found is not None

    def edit(self, round_id: int, handle: str, answers: dict[str, Any]) -> None:
        """New answers for the response this handle opens, while the round is open."""
        current = self._accepting(round_id)
        clean = check_answers(current.questions, answers)
        with self.engine.begin() as conn:
            self._lock_open(conn, round_id)
            row = self._sealed(conn, round_id, handle)
            payload = self._key(current).open(round_id, row.sealed) | {"answers": clean}
            conn.execute(
                update(survey_sealed)
                .where(survey_sealed.c.id == row.id)
                .values(sealed=self._seal(current, payload))
            )

    def own(self, round_id: int, handle: str) -> dict[str, Any]:
        """The answers this edit handle opens (the resident's own, while the round is open)."""
        key = self._key(self.rounds.get(round_id))
        with self.engine.connect() as conn:
            row = self._sealed(conn, round_id, handle)
        return dict(key.open(round_id, row.sealed)["answers"])

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
        payload = {
            "district": stratum.district,
            "building_type": stratum.building_type,
            "answers": clean,
        }
        sealed = self._seal(current, payload)
        participation = self._key(current).participation(round_id, key)
        try:
            with self.engine.begin() as conn:
                self._lock_open(conn, round_id)
                conn.execute(
                    insert(survey_participations).values(
                        round_id=round_id, household_key=participation
                    )
                )
                conn.execute(
                    insert(survey_sealed).values(
                        id=random_id(self.rng), round_id=round_id, sealed=sealed, edit_hash=edit
                    )
                )
        except IntegrityError:
            raise ResponseRefused(
                "already_answered", "this household has already answered this round"
            ) from None

    def _key(self, current: Round) -> RoundKey:
        """The key the round opened under; ResponseRefused("unavailable") naming it if gone."""
        try:
            return self.keys.of(current.seal_key or "", current.id)
        except SealUnavailable as exc:
            raise ResponseRefused("unavailable", str(exc)) from None

    def _seal(self, current: Round, payload: dict[str, Any]) -> bytes:
        try:
            return self._key(current).seal(current.id, sealed_size(current.questions), payload)
        except SealUnavailable as exc:
            raise ResponseRefused("unavailable", str(exc)) from None
        except ValueError as exc:
            raise ResponseRefused("too_large", str(exc)) from None

    def _lock_open(self, conn: Connection, round_id: int) -> None:
        """Hold the round open for this transaction: closing (and mixing) waits for it.

        FOR SHARE on PostgreSQL: submissions run side by side, the closing
        UPDATE waits for them, and a submission that waited on a close sees it.
        """
        status = conn.execute(
            select(survey_rounds.c.status)
            .where(survey_rounds.c.id == round_id)
            .with_for_update(read=True)
        ).scalar_one()
        if status != Status.OPEN.value:
            raise ResponseRefused("not_open", f"round {round_id} is not taking answers ({status})")

    def _sealed(self, conn: Connection, round_id: int, handle: str) -> Any:
        row = conn.execute(
            select(survey_sealed.c.id, survey_sealed.c.sealed).where(
                survey_sealed.c.round_id == round_id,
                survey_sealed.c.edit_hash == token_hash(handle),
            )
        ).first()
        if row is None:
            raise ResponseRefused("no_response", "this session holds no response to this round")
        return row

    def _accepting(self, round_id: int) -> Round:
        current = self.rounds.get(round_id)
        if not current.accepting(self.rounds.clock()):
            raise ResponseRefused(
                "not_open", f"round {round_id} is not taking answers ({current.status.value})"
            )
        return current

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
