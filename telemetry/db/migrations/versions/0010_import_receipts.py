"""the importers' receipts: what each import stored and refused, per meter

- import_receipts (import_id, site, household, agent, file, format, started_at,
  finished_at, meters, details, exit_status): written by `python -m importers`
  when it has a database URL, read by `python -m importers receipts` and
  GET /v1/staff/imports.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_receipts",
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("household", sa.String(length=64), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("started_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("finished_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("meters", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("exit_status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_import_receipts")),
    )
    op.create_index(
        "ix_import_receipts_finished_at", "import_receipts", ["finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_import_receipts_finished_at", table_name="import_receipts")
    op.drop_table("import_receipts")
