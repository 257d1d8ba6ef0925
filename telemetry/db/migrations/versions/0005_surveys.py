"""citizens' policy surveys: rounds, participations, responses

Who answered (survey_participations: round x household key, the one-response
rule) and what was answered (survey_responses: random UUID4 ids, day only)
share no column but the round; on SQLite both are WITHOUT ROWID tables, so
rows are stored in key order, not arrival order.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opens_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("closes_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("publish_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("published_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_rounds")),
        sa.UniqueConstraint("template", "number", name=op.f("uq_survey_rounds_template_number")),
    )
    op.create_table(
        "survey_participations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_participations_round_id_survey_rounds"),
        ),
        sa.PrimaryKeyConstraint("round_id", "household_key", name=op.f("pk_survey_participations")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("building_type", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("saved_on", sa.Date(), nullable=False),
        sa.Column("edit_hash", sa.String(length=64), nullable=True),
        sa.Column("approved_texts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_responses_round_id_survey_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("edit_hash", name=op.f("uq_survey_responses_edit_hash")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_round_id"))

    op.drop_table("survey_responses")
    op.drop_table("survey_participations")
    op.drop_table("survey_rounds")
