"""participation board: posts, comments, supports, answers, reports, moderation log

The moderation log is append-only: triggers refuse UPDATE and DELETE on both
engines. The city's default statuses are seeded; staff may change them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
    )
    op.create_table(
        "post_statuses",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("label_ko", sa.String(length=64), nullable=False),
        sa.Column("label_en", sa.String(length=64), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_post_statuses")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dong", sa.String(length=10), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_staff", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("chart_ref", sa.JSON(), nullable=True),
        sa.Column("chart_snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("threshold_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("answer_due_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("hidden_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["residents.id"], name=op.f("fk_posts_author_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["status"], ["post_statuses.token"], name=op.f("fk_posts_status_post_statuses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_dong"), ["dong"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("resolved_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["residents.id"], name=op.f("fk_reports_reporter_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "item_kind",
            "item_id",
            "reporter_id",
            name=op.f("uq_reports_item_kind_item_id_reporter_id"),
        ),
    )
    op.create_table(
        "answers",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=64), nullable=False),
        sa.Column("written_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("published_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_answers_post_id_posts")),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_answers")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_staff", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.Column("hidden_at", telemetry.db.types.UtcDateTime(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["residents.id"], name=op.f("fk_comments_author_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comments_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_post_id"), ["post_id"], unique=False)

    op.create_table(
        "supports",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", telemetry.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_supports_post_id_posts")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_supports_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("post_id", "resident_id", name=op.f("pk_supports")),
    )

    _seed_statuses()
    _append_only("moderation_log")


def downgrade() -> None:
    _drop_append_only("moderation_log")
    op.drop_table("supports")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_post_id"))
        batch_op.drop_index(batch_op.f("ix_comments_author_id"))

    op.drop_table("comments")
    op.drop_table("answers")
    op.drop_table("reports")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_dong"))
        batch_op.drop_index(batch_op.f("ix_posts_author_id"))

    op.drop_table("posts")
    op.drop_table("post_statuses")
    op.drop_table("moderation_log")


DEFAULT_STATUSES = [
    # token, Korean label, English label, colour, closed
    ("open", "접수", "Received", "#1f6feb", False),
    ("under_review", "검토 중", "Under review", "#9a6700", False),
    ("answered", "답변 완료", "Answered", "#1a7f37", False),
    ("accepted", "채택", "Accepted", "#116329", True),
    ("rejected", "불채택", "Not adopted", "#6e7781", True),
    ("closed", "종료", "Closed", "#57606a", True),
]


def _seed_statuses() -> None:
    table = sa.table(
        "post_statuses",
        sa.column("token", sa.String),
        sa.column("label_ko", sa.String),
        sa.column("label_en", sa.String),
        sa.column("colour", sa.String),
        sa.column("closed", sa.Boolean),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        table,
        [
            dict(zip(("token", "label_ko", "label_en", "colour", "closed"), row, strict=True))
            | {"position": i}
            for i, row in enumerate(DEFAULT_STATUSES)
        ],
    )


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def _drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
