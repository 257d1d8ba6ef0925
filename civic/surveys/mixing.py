"""The mixer: at close, a round's sealed responses become plain rows that nobody can pair.

While a round is open its responses are sealed (sealing.py), each written in
its participation's transaction, so on PostgreSQL a sealed row shares the
participation's xmin and sits beside it on the heap: harmless, since nobody
reading the database can open it. When the round closes, in the closing
transaction, the mixer opens every sealed response of the round, shuffles
them, writes them as survey_responses rows (fresh random ids, in the shuffled
order) and deletes the sealed rows. Every plain row of a round therefore has
the same xmin, a heap position and an id that follow the shuffle, and no time
or handle: nothing a reader with SELECT on every table (system columns
included) can pair with a household (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

import random
import secrets
import uuid

from sqlalchemy import Connection, delete, insert, select

from civic.surveys.sealing import LEGACY_ID, SurveyKeys
from telemetry.db.tables import survey_responses, survey_rounds, survey_sealed


def random_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


class Mixer:
    """Opens, shuffles and writes out a round's sealed responses, in the caller's transaction."""

    def __init__(self, keys: SurveyKeys, rng: random.Random | None = None) -> None:
        self.keys = keys
        self.rng = rng or secrets.SystemRandom()

    def mix(self, conn: Connection, round_id: int) -> int:
        """The number of responses written out (the round's sealed rows are gone after)."""
        key_id = conn.execute(
            select(survey_rounds.c.seal_key).where(survey_rounds.c.id == round_id)
        ).scalar_one()
        sealed = (
            conn.execute(select(survey_sealed.c.sealed).where(survey_sealed.c.round_id == round_id))
            .scalars()
            .all()
        )
        # A round that opened under a key no longer configured does not close (SealUnavailable
        # names the key): its responses stay sealed until the key is listed again.
        key = self.keys.of(key_id or LEGACY_ID, round_id) if sealed else None
        opened = [key.open(round_id, blob) for blob in sealed] if key is not None else []
        self.rng.shuffle(opened)
        rows = [
            {
                "id": random_id(self.rng),
                "round_id": round_id,
                "district": r["district"],
                "building_type": r["building_type"],
                "answers": r["answers"],
                "approved_texts": [],
            }
            for r in opened
        ]
        if rows:
            conn.execute(insert(survey_responses), rows)
        conn.execute(delete(survey_sealed).where(survey_sealed.c.round_id == round_id))
        return len(rows)
