"""Table definitions shared by every package that uses the platform database.

Participation (the residents' board, surveys): a site's manager issues
one-time codes, one per household; a resident redeems one and becomes a
`residents` row keyed by an HMAC of the household (never the code, never a
name). Codes are stored as hashes only, so the table cannot be used to log in.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text

from telemetry.db.types import UtcDateTime

# Named constraints, so migrations can drop and alter them on every engine.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

KEY_LEN = 64  # hex SHA-256 / HMAC-SHA-256

residents = Table(
    "residents",
    metadata,
    Column("id", Integer, primary_key=True),
    # HMAC of (site, household): one account per household, unique here.
    Column("resident_key", String(KEY_LEN), nullable=False, unique=True),
    Column("site", String(64), nullable=False, index=True),
    Column("dong", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("blocked_at", UtcDateTime, nullable=True),
    Column("blocked_reason", Text, nullable=True),
)

participation_codes = Table(
    "participation_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(KEY_LEN), nullable=False, unique=True),
    Column("site", String(64), nullable=False, index=True),
    Column("household_key", String(KEY_LEN), nullable=False, index=True),
    Column("dong", String(10), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
    Column("resident_id", Integer, ForeignKey("residents.id", ondelete="SET NULL"), nullable=True),
)
