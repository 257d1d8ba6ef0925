"""Table definitions shared by every package that uses the platform database.

Participation (the residents' board, surveys): a site's manager issues
one-time codes, one per household; a resident redeems one and becomes a
`residents` row keyed by an HMAC of the household (never the code, never a
name). Codes are stored as hashes only, so the table cannot be used to log in.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

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

# A household is the occupants of one unit (config/units/<site>.yaml) during one
# tenancy: from moved_in to moved_out (None: still living there). At most one
# open tenancy per unit. link_version is in every household link; raising it
# refuses the household's older links (telemetry/db/tenancies.py).
tenancies = Table(
    "tenancies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site", String(64), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("moved_in", Date, nullable=False),
    Column("moved_out", Date, nullable=True),
    Column("link_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("moved_out IS NULL OR moved_out >= moved_in", name="moved_out_after_in"),
    CheckConstraint("link_version >= 1", name="link_version_positive"),
    Index("ix_tenancies_site_unit", "site", "unit"),
    Index(
        "uq_tenancies_open_unit",
        "site",
        "unit",
        unique=True,
        sqlite_where=text("moved_out IS NULL"),
        postgresql_where=text("moved_out IS NULL"),
    ),
)

# The link versions of programme households (config/households/*.yaml): a
# household absent here is at version 1.
household_links = Table(
    "household_links",
    metadata,
    Column("household", String(64), primary_key=True),
    Column("link_version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

residents = Table(
    "residents",
    metadata,
    Column("id", Integer, primary_key=True),
    # "tenancy:<id>" (one account per tenancy), or for an account made before
    # tenancies an HMAC of (site, label) until an operator adopts it.
    Column("resident_key", String(KEY_LEN), nullable=False, unique=True),
    Column("tenancy_id", Integer, ForeignKey("tenancies.id"), nullable=True, unique=True),
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
    # The tenancy the code was issued for (None: issued by label before tenancies).
    Column("tenancy_id", Integer, ForeignKey("tenancies.id"), nullable=True, index=True),
    Column("dong", String(10), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
    Column("resident_id", Integer, ForeignKey("residents.id", ondelete="SET NULL"), nullable=True),
    # A code opens nothing after this (issued_at + the configured lifetime).
    Column("expires_at", UtcDateTime, nullable=False),
    # Set when a newer code for the household replaced it ("reissued") or staff
    # revoked it ("revoked"): a cancelled code is refused, redeemed or not.
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("cancelled_reason", String(16), nullable=True),
)

resident_sessions = Table(
    "resident_sessions",
    metadata,
    # SHA-256 of the cookie's random id: a reader of this table cannot sign in.
    Column("id_hash", String(KEY_LEN), primary_key=True),
    Column(
        "resident_id",
        Integer,
        ForeignKey("residents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    # Refused after either: idle (moves with use) and absolute (fixed at sign-in).
    Column("idle_expires_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", String(32), nullable=True),
)


# --- The residents' participation board -------------------------------------
# Posts and comments are written by a resident (author_id) or by city staff
# (author_staff, a staff name); `hidden_at` set means hidden everywhere, with
# `hidden_reason` saying why (reports, moderator, author_blocked).

post_statuses = Table(
    "post_statuses",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("label_ko", String(64), nullable=False),
    Column("label_en", String(64), nullable=False),
    Column("colour", String(7), nullable=False),
    # A closed post takes no more supports or comments.
    Column("closed", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("dong", String(10), nullable=False, index=True),
    Column("site", String(64), nullable=True),
    Column("author_id", Integer, ForeignKey("residents.id"), nullable=True, index=True),
    Column("author_staff", String(64), nullable=True),
    Column("status", String(32), ForeignKey("post_statuses.token"), nullable=False),
    # The public series a post refers to, and its figures when it was posted.
    Column("chart_ref", JSON, nullable=True),
    Column("chart_snapshot", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Set once the post reaches the support threshold: the city owes an answer by then.
    Column("threshold_at", UtcDateTime, nullable=True),
    Column("answer_due_at", UtcDateTime, nullable=True),
    Column("hidden_at", UtcDateTime, nullable=True),
    Column("hidden_reason", String(32), nullable=True),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False, index=True),
    Column("parent_id", Integer, ForeignKey("comments.id"), nullable=True),
    Column("author_id", Integer, ForeignKey("residents.id"), nullable=True, index=True),
    Column("author_staff", String(64), nullable=True),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("hidden_at", UtcDateTime, nullable=True),
    Column("hidden_reason", String(32), nullable=True),
)

supports = Table(
    "supports",
    metadata,
    # The primary key is the rule: one support per resident per post.
    Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
    Column("resident_id", Integer, ForeignKey("residents.id"), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

answers = Table(
    "answers",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
    Column("body", Text, nullable=False),
    Column("written_by", String(64), nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
    # Written first, published separately: a draft is seen by staff only.
    Column("published_at", UtcDateTime, nullable=True),
    # The number of the current text in answer_versions (1: never edited).
    Column("version", Integer, nullable=False, server_default="1"),
)

answer_versions = Table(
    "answer_versions",
    metadata,
    # Every text an official answer has had, the current one included.
    # Append-only: triggers in the migration refuse UPDATE and DELETE.
    Column("post_id", Integer, ForeignKey("posts.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("written_by", String(64), nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
    # When this version was first public (None: a draft that was never published).
    Column("published_at", UtcDateTime, nullable=True),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_kind", String(16), nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("reporter_id", Integer, ForeignKey("residents.id"), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Set when a moderator decided (hid or restored the item).
    Column("resolved_at", UtcDateTime, nullable=True),
    UniqueConstraint("item_kind", "item_id", "reporter_id"),
)

moderation_log = Table(
    "moderation_log",
    metadata,
    # Append-only: triggers in the migration refuse UPDATE and DELETE.
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("item_kind", String(16), nullable=True),
    Column("item_id", Integer, nullable=True),
    Column("resident_id", Integer, nullable=True),
    Column("note", Text, nullable=False),
)


# --- Shared data -------------------------------------------------------------
# A CSV a site's manager or city staff publishes, attached to a post (a
# data_request is closed by one) or to a site's data page. Small files, so the
# bytes live in the row and backups hold everything.

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("site", String(64), nullable=True, index=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=True, index=True),
    # "staff:<name>" or "site:<site>": who published it.
    Column("publisher", String(80), nullable=False),
    Column("filename", String(120), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("sha256", String(KEY_LEN), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


# --- Citizens' policy surveys -------------------------------------------------
# Who answered (survey_participations) and what was answered (survey_responses)
# are two tables with nothing to join them by: no shared key, no time on the
# first and only a day on the second, random ids, and row order that follows
# those ids rather than arrival (see docs/DECISIONS.md "Surveys").

survey_rounds = Table(
    "survey_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("template", String(64), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    # The template as it was cloned for this round: staff review it before opening.
    Column("questions", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("opens_at", UtcDateTime, nullable=False),
    Column("closes_at", UtcDateTime, nullable=False),
    Column("publish_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    # The survey key the round opened under (civic/surveys/sealing.py); none for a draft.
    Column("seal_key", String(32), nullable=True),
    UniqueConstraint("template", "number"),
)

survey_participations = Table(
    "survey_participations",
    metadata,
    # The primary key is the rule: one response per household per round.
    # No time and no channel: nothing here matches a column of the responses.
    Column("round_id", Integer, ForeignKey("survey_rounds.id"), primary_key=True),
    Column("household_key", String(KEY_LEN), primary_key=True),
    # SQLite: stored in key order (an HMAC), not in arrival order.
    sqlite_with_rowid=False,
)

survey_sealed = Table(
    "survey_sealed",
    metadata,
    # A response while its round is open: sealed (AEAD, padded to a fixed size)
    # with the round's key, which only the survey service's configuration holds.
    # It is written in the participation's transaction, so it may share that
    # row's xmin; nobody reading the database can read it. The mixer
    # (civic/surveys/mixing.py) opens them all at close and deletes them.
    Column("id", String(32), primary_key=True),  # random, no sequence
    Column("round_id", Integer, ForeignKey("survey_rounds.id"), nullable=False, index=True),
    Column("sealed", LargeBinary, nullable=False),
    # SHA-256 of the edit handle held in the answering session's browser
    # (None: a paper response, final at once).
    Column("edit_hash", String(KEY_LEN), nullable=True, unique=True),
    sqlite_with_rowid=False,
)

survey_responses = Table(
    "survey_responses",
    metadata,
    # Written only by the mixer, all of a round's responses in one transaction
    # in random order: one xmin, no time, no edit handle, row order by chance.
    # A random UUID4 (hex): no sequence, and on SQLite the storage order.
    Column("id", String(32), primary_key=True),
    Column("round_id", Integer, ForeignKey("survey_rounds.id"), nullable=False, index=True),
    # The respondent's site's district and building type: coarse strata for results.
    Column("district", String(5), nullable=False),
    Column("building_type", String(32), nullable=False),
    Column("answers", JSON, nullable=False),
    # Question ids whose free text staff approved for publication.
    Column("approved_texts", JSON, nullable=False),
    sqlite_with_rowid=False,
)
# --- Staff: named accounts, their sessions, and the audit log -----------------
# Every staff action is attributed from the credential that made it (a staff
# session, or the machines' admin token) and recorded in audit_log.

STAFF_ROLES = (
    "moderator",
    "survey_admin",
    "code_issuer",
    "operator",
    "administrator",
    "facility_manager",
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True),
    # The sign-in name; shown as the actor in the audit log and on answers.
    Column("name", String(64), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    # argon2id (argon2-cffi), never the password.
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSON, nullable=False),  # a subset of STAFF_ROLES
    Column("sites", JSON, nullable=False),  # a facility manager's sites
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(KEY_LEN), primary_key=True),
    Column(
        "staff_id",
        Integer,
        ForeignKey("staff_users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("idle_expires_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Append-only: triggers in the migration refuse UPDATE and DELETE.
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    # "staff:<name>", "machine:admin-token", "site:<site>" or "system".
    Column("actor", String(80), nullable=False, index=True),
    Column("action", String(48), nullable=False, index=True),
    Column("target_kind", String(32), nullable=False),
    Column("target_id", String(80), nullable=True),
    Column("detail", JSON, nullable=False),
)


# --- Alerts (python -m alerts) -----------------------------------------------
# One row per (rule, originator), kept for good: `state` is NULL until the
# first firing; a condition waiting out its pending period has `pending_since`
# set whatever the state, so a restart resumes the wait instead of starting it.

ALERT_STATES = ("active_unacked", "active_acked", "cleared_unacked", "cleared_acked")

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(64), nullable=False),
    # What the alert is about: "meter:<site>/<meter>" or "agent:<agent>".
    Column("originator", String(200), nullable=False),
    Column("site", String(64), nullable=True, index=True),
    Column("severity", String(16), nullable=False),
    Column("state", String(20), nullable=True),
    Column("pending_since", UtcDateTime, nullable=True),
    # The last pass that saw the condition: keep-firing counts from here.
    Column("last_breach_at", UtcDateTime, nullable=True),
    Column("fired_at", UtcDateTime, nullable=True),
    Column("cleared_at", UtcDateTime, nullable=True),
    Column("acked_at", UtcDateTime, nullable=True),
    Column("acked_by", String(64), nullable=True),
    Column("ack_note", Text, nullable=True),
    Column("last_value", Float, nullable=True),
    Column("labels", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # +1 on every write: the evaluator writes only the version it read, so an
    # acknowledgement made during its pass is never overwritten.
    Column("version", Integer, nullable=False),
    UniqueConstraint("rule", "originator"),
    CheckConstraint(
        "state IS NULL OR state IN ('active_unacked', 'active_acked', "
        "'cleared_unacked', 'cleared_acked')",
        name="state",
    ),
)

alert_notifications = Table(
    "alert_notifications",
    metadata,
    # The delivery outbox: written in the same transaction as the state change
    # it announces, so a crash can neither lose nor double it.
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
    Column("idempotency_key", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    # Notifications of one group (target + the policy's group_by labels) due
    # at the same time leave as one message (a digest); NULL: on their own.
    Column("group_key", String(64), nullable=True, index=True),
    Column("event", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    # Set after the last allowed attempt failed: the dead-letter record.
    Column("dead_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("idempotency_key", "target"),
)

alert_silences = Table(
    "alert_silences",
    metadata,
    # Maintenance windows: alerts whose labels match every matcher are not
    # delivered between starts_at and ends_at; their state still changes.
    Column("id", Integer, primary_key=True),
    Column("matchers", JSON, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Observed daily weather (KMA ASOS daily data, `python -m importers weather-asos`):
# one row per station and KST day; a re-import of a day replaces its values.
# An empty cell of the file is NULL (that day has no such figure).
weather_days = Table(
    "weather_days",
    metadata,
    Column("station", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("mean_c", Float, nullable=True),
    Column("min_c", Float, nullable=True),
    Column("max_c", Float, nullable=True),
    Column("source", String(255), nullable=False),  # the imported file's name (no directory)
    Column("imported_at", UtcDateTime, nullable=False),
)

# The importers' receipts (`python -m importers`, when it has a database URL): one row per
# finished import, what the collector stored and refused per meter and why. Read by
# `python -m importers receipts` and the operators' GET /v1/staff/imports.
import_receipts = Table(
    "import_receipts",
    metadata,
    Column("import_id", String(32), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("household", String(64), nullable=True),  # greenbutton's --household; else None
    Column("agent", String(64), nullable=False),
    Column("file", String(255), nullable=False),  # the imported file's name (no directory)
    Column("format", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("meters", JSON, nullable=False),  # meter -> {"stored": n, "refused": {reason: n}}
    Column("details", JSON, nullable=False),  # reason -> an example
    Column("exit_status", Integer, nullable=False),  # 0, or 2 when anything was refused
    Index("ix_import_receipts_finished_at", "finished_at"),
)

# Rate limits shared by every API process (telemetry/db/rate_limits.py): one row per
# limited key, its theoretical arrival time (GCRA, seconds since the epoch). A row whose
# time has passed is a full bucket, the same as no row, so rows are deleted freely.
# `bucket` is "<limit>:<SHA-256 of the key>": no address or account name is kept.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(96), primary_key=True),
    Column("tat", Float, nullable=False),
)

# Leases of the rollup's partitions (telemetry/db/leases.py): which worker holds a
# partition (a set of districts) until `expires_at`, and the fingerprint of the
# registry slice it computed. `generation` goes up each time the holder changes, so
# a worker that lost its lease can be told from the one that took it over (fencing).
rollup_leases = Table(
    "rollup_leases",
    metadata,
    Column("partition", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),  # the worker, e.g. "host:pid:random"
    Column("fingerprint", String(64), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),  # when this holder took it
    Column("renewed_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
