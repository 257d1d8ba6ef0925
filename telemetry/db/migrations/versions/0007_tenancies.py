"""units and tenancies: a household is one tenancy of one unit

- tenancies (site, unit, moved_in, moved_out, link_version): at most one open
  tenancy per unit (a partial unique index).
- household_links: link versions of programme households.
- residents.tenancy_id, participation_codes.tenancy_id: accounts and codes
  of a tenancy. Existing rows keep their label HMACs and no tenancy until an
  operator adopts them (`python -m api tenancy adopt`; the labels are not in
  the database, only their HMACs, so no migration can map them).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import telemetry.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DT = telemetry.db.types.UtcDateTime()


def upgrade() -> None:
    op.create_table(
        "tenancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("moved_in", sa.Date(), nullable=False),
        sa.Column("moved_out", sa.Date(), nullable=True),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.CheckConstraint(
            "moved_out IS NULL OR moved_out >= moved_in",
            name=op.f("ck_tenancies_moved_out_after_in"),
        ),
        sa.CheckConstraint("link_version >= 1", name=op.f("ck_tenancies_link_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenancies")),
    )
    op.create_index("ix_tenancies_site_unit", "tenancies", ["site", "unit"], unique=False)
    op.create_index(
        "uq_tenancies_open_unit",
        "tenancies",
        ["site", "unit"],
        unique=True,
        sqlite_where=sa.text("moved_out IS NULL"),
        postgresql_where=sa.text("moved_out IS NULL"),
    )
    op.create_table(
        "household_links",
        sa.Column("household", sa.String(length=64), nullable=False),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("household", name=op.f("pk_household_links")),
    )
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("tenancy_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_residents_tenancy_id"), ["tenancy_id"])
        batch.create_foreign_key(
            op.f("fk_residents_tenancy_id_tenancies"), "tenancies", ["tenancy_id"], ["id"]
        )
    with op.batch_alter_table("participation_codes") as batch:
        batch.add_column(sa.Column("tenancy_id", sa.Integer(), nullable=True))
        batch.create_index("ix_participation_codes_tenancy_id", ["tenancy_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_participation_codes_tenancy_id_tenancies"),
            "tenancies",
            ["tenancy_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("participation_codes") as batch:
        batch.drop_constraint(
            op.f("fk_participation_codes_tenancy_id_tenancies"), type_="foreignkey"
        )
        batch.drop_index("ix_participation_codes_tenancy_id")
        batch.drop_column("tenancy_id")
    with op.batch_alter_table("residents") as batch:
        batch.drop_constraint(op.f("fk_residents_tenancy_id_tenancies"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_residents_tenancy_id"), type_="unique")
        batch.drop_column("tenancy_id")
    op.drop_table("household_links")
    op.drop_index("uq_tenancies_open_unit", table_name="tenancies")
    op.drop_index("ix_tenancies_site_unit", table_name="tenancies")
    op.drop_table("tenancies")
