"""residents' trust: sessions, code expiry, staff accounts, audit log, sealed survey answers

- resident_sessions: server-side sessions (hashed ids), revoked at logout.
- participation_codes: expires_at (existing codes: issued_at + 90 days),
  cancelled_at / cancelled_reason (a reissued or revoked code).
- staff_users, staff_sessions, audit_log (append-only).
- answers.version and answer_versions (append-only; existing answers become
  their version 1).
- survey_sealed: responses sealed while their round is open; survey_responses
  loses saved_on and edit_hash (the mixer writes final rows only). Responses
  stored before this revision stay as they are; their edit handles end here.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CODE_LIFETIME = timedelta(days=90)
UTC_DT = telemetry.db.types.UtcDateTime()


def upgrade() -> None:
    _sessions()
    _code_expiry()
    _staff()
    _answer_versions()
    _sealed_surveys()


def downgrade() -> None:
    _unseal_surveys()
    _drop_append_only("answer_versions")
    op.drop_table("answer_versions")
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("version")
    _drop_append_only("audit_log")
    for index in ("action", "actor", "at"):
        op.drop_index(f"ix_audit_log_{index}", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
    with op.batch_alter_table("participation_codes") as batch:
        for column in ("cancelled_reason", "cancelled_at", "expires_at"):
            batch.drop_column(column)
    op.drop_index("ix_resident_sessions_resident_id", table_name="resident_sessions")
    op.drop_table("resident_sessions")


def _sessions() -> None:
    op.create_table(
        "resident_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("last_seen_at", UTC_DT, nullable=False),
        sa.Column("idle_expires_at", UTC_DT, nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_sessions_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_resident_sessions")),
    )
    op.create_index(
        "ix_resident_sessions_resident_id", "resident_sessions", ["resident_id"], unique=False
    )


def _code_expiry() -> None:
    with op.batch_alter_table("participation_codes") as batch:
        batch.add_column(sa.Column("expires_at", UTC_DT, nullable=True))
        batch.add_column(sa.Column("cancelled_at", UTC_DT, nullable=True))
        batch.add_column(sa.Column("cancelled_reason", sa.String(length=16), nullable=True))
    codes = sa.table(
        "participation_codes",
        sa.column("id", sa.Integer()),
        sa.column("issued_at", UTC_DT),
        sa.column("expires_at", UTC_DT),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(codes.c.id, codes.c.issued_at)).all():
        conn.execute(
            sa.update(codes)
            .where(codes.c.id == row.id)
            .values(expires_at=row.issued_at + CODE_LIFETIME)
        )
    with op.batch_alter_table("participation_codes") as batch:
        batch.alter_column("expires_at", existing_type=UTC_DT, nullable=False)


def _staff() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("password_changed_at", UTC_DT, nullable=False),
        sa.Column("disabled_at", UTC_DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("name", name=op.f("uq_staff_users_name")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("last_seen_at", UTC_DT, nullable=False),
        sa.Column("idle_expires_at", UTC_DT, nullable=False),
        sa.Column("expires_at", UTC_DT, nullable=False),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DT, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for index in ("at", "actor", "action"):
        op.create_index(f"ix_audit_log_{index}", "audit_log", [index], unique=False)
    _append_only("audit_log")


def _answer_versions() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "answer_versions",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=64), nullable=False),
        sa.Column("written_at", UTC_DT, nullable=False),
        sa.Column("published_at", UTC_DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_answer_versions_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("post_id", "version", name=op.f("pk_answer_versions")),
    )
    op.execute(
        "INSERT INTO answer_versions (post_id, version, body, written_by, written_at, "
        "published_at) SELECT post_id, 1, body, written_by, written_at, published_at FROM answers"
    )
    _append_only("answer_versions")


def _sealed_surveys() -> None:
    op.create_table(
        "survey_sealed",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("edit_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name=op.f("fk_survey_sealed_round_id_survey_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_sealed")),
        sa.UniqueConstraint("edit_hash", name=op.f("uq_survey_sealed_edit_hash")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_sealed_round_id", "survey_sealed", ["round_id"], unique=False)
    _rebuild_responses(with_edit_columns=False)


def _unseal_surveys() -> None:
    op.drop_index("ix_survey_sealed_round_id", table_name="survey_sealed")
    op.drop_table("survey_sealed")
    _rebuild_responses(with_edit_columns=True)


def _rebuild_responses(*, with_edit_columns: bool) -> None:
    """survey_responses with or without saved_on/edit_hash, kept WITHOUT ROWID on SQLite.

    A batch alter on SQLite would recreate the table from reflection, which
    loses WITHOUT ROWID (and with it the storage order by random id), so the
    table is rebuilt here by hand: new table, copy, swap.
    """
    columns = ["id", "round_id", "district", "building_type", "answers", "approved_texts"]
    op.rename_table("survey_responses", "survey_responses_old")
    op.drop_index("ix_survey_responses_round_id", table_name="survey_responses_old")
    extra = (
        [
            sa.Column("saved_on", sa.Date(), nullable=False, server_default="2000-01-01"),
            sa.Column("edit_hash", sa.String(length=64), nullable=True),
        ]
        if with_edit_columns
        else []
    )
    constraints = (
        [sa.UniqueConstraint("edit_hash", name="uq_survey_responses_edit_hash")]
        if with_edit_columns
        else []
    )
    if op.get_bind().dialect.name == "postgresql":
        # Names move with the renamed table's constraints; free them first.
        for name in (
            "pk_survey_responses",
            "fk_survey_responses_round_id_survey_rounds",
            "uq_survey_responses_edit_hash",
        ):
            op.execute(f"ALTER TABLE survey_responses_old DROP CONSTRAINT IF EXISTS {name} CASCADE")
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("building_type", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        *extra,
        sa.Column("approved_texts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_rounds.id"],
            name="fk_survey_responses_round_id_survey_rounds",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
        *constraints,
        sqlite_with_rowid=False,
    )
    listed = ", ".join(columns)
    op.execute(f"INSERT INTO survey_responses ({listed}) SELECT {listed} FROM survey_responses_old")
    op.drop_table("survey_responses_old")
    op.create_index("ix_survey_responses_round_id", "survey_responses", ["round_id"], unique=False)


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
