"""participation codes and residents

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_key", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("dong", sa.String(length=10), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("blocked_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("resident_key", name=op.f("uq_residents_resident_key")),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residents_site"), ["site"], unique=False)

    op.create_table(
        "participation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("dong", sa.String(length=10), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("issued_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("redeemed_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_participation_codes_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_participation_codes_code_hash")),
    )
    with op.batch_alter_table("participation_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participation_codes_household_key"), ["household_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_participation_codes_site"), ["site"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("participation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participation_codes_site"))
        batch_op.drop_index(batch_op.f("ix_participation_codes_household_key"))

    op.drop_table("participation_codes")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residents_site"))

    op.drop_table("residents")
