"""survey rounds record the survey key they opened under

- survey_rounds.seal_key: `seal` (ENERGY_SURVEY_SEAL_KEY), `signing:<id>` (a
  signing key) or `legacy`. Rounds already open or past keep `legacy`: their
  responses and participations were keyed the way the key was derived then
  (ENERGY_SURVEY_SEAL_KEY, else the oldest signing key). Drafts get theirs
  when they open.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_rounds") as batch:
        batch.add_column(sa.Column("seal_key", sa.String(length=32), nullable=True))
    op.execute("UPDATE survey_rounds SET seal_key = 'legacy' WHERE status <> 'draft'")


def downgrade() -> None:
    with op.batch_alter_table("survey_rounds") as batch:
        batch.drop_column("seal_key")
