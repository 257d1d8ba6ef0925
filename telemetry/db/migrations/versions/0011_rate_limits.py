"""rate limits shared by every API process

- rate_limits (bucket, tat): one row per limited key (the limit's name and a
  SHA-256 of the key), its theoretical arrival time (GCRA); written and read
  by api/ratelimit.py through telemetry/db/rate_limits.py.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=96), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
