"""leases of the rollup's partitions, one row per partition

- rollup_leases (partition, holder, fingerprint, generation, acquired_at,
  renewed_at, expires_at): which rollup worker holds a partition of the city
  until when, and the fingerprint of the registry slice it computed; written
  and read through telemetry/db/leases.py.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_leases",
        sa.Column("partition", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("acquired_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("renewed_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition", name=op.f("pk_rollup_leases")),
    )


def downgrade() -> None:
    op.drop_table("rollup_leases")
