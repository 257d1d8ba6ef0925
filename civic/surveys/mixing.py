"""Row order that says nothing about arrival: who answered and what, never paired by position.

Both survey tables are keyed by values with no order in time (responses by a
random UUID4, participations by an HMAC of the household). On SQLite they are
WITHOUT ROWID tables, stored in key order from the first write. PostgreSQL
appends rows to its heap in arrival order whatever the key, so when a round
closes both tables are rewritten in key order (CLUSTER writes a new file and
drops the old one, dead rows included). While a round is open, a person
reading PostgreSQL's raw heap could still pair rows by position; the
database's ordinary readers cannot (docs/DECISIONS.md "Surveys").
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from telemetry.db.tables import survey_participations, survey_responses

MIXED_TABLES = (survey_responses, survey_participations)


def mix_round(engine: Engine) -> None:
    """Rewrite the survey tables in key order (PostgreSQL; SQLite stores them so already)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in MIXED_TABLES:
            conn.execute(text(f"CLUSTER {table.name} USING pk_{table.name}"))
