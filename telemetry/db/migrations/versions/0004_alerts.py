"""alerts: state per (rule, originator), the notification outbox, silences

One row per alert, kept across restarts (pending periods resume); the
outbox rows are written with the state change they announce.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("ends_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_silences")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("originator", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("pending_since", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("last_breach_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("fired_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("cleared_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("acked_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("updated_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IS NULL OR state IN ('active_unacked', 'active_acked', 'cleared_unacked', 'cleared_acked')",
            name=op.f("ck_alerts_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("rule", "originator", name=op.f("uq_alerts_rule_originator")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_site"), ["site"], unique=False)

    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("delivered_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("dead_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_notifications_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
        sa.UniqueConstraint(
            "idempotency_key", "target", name=op.f("uq_alert_notifications_idempotency_key_target")
        ),
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_notifications_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_notifications_group_key"), ["group_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_notifications_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_notifications_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_alert_notifications_group_key"))
        batch_op.drop_index(batch_op.f("ix_alert_notifications_alert_id"))

    op.drop_table("alert_notifications")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_site"))

    op.drop_table("alerts")
    op.drop_table("alert_silences")
