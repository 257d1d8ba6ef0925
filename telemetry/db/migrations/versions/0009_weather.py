"""observed weather: daily mean, minimum and maximum temperature per station

- weather_days (station, day, mean_c, min_c, max_c, source, imported_at):
  KMA ASOS daily observations, read by the households' degree-days.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weather_days",
        sa.Column("station", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mean_c", sa.Float(), nullable=True),
        sa.Column("min_c", sa.Float(), nullable=True),
        sa.Column("max_c", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("station", "day", name=op.f("pk_weather_days")),
    )


def downgrade() -> None:
    op.drop_table("weather_days")
