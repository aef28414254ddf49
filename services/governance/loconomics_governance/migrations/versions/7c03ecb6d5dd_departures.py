"""departures: people who left and asked to be forgotten stay forgotten

Revision ID: 7c03ecb6d5dd
Revises: a11e604fe060
Create Date: 2026-11-28 06:42:20.308001
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "7c03ecb6d5dd"
down_revision = "a11e604fe060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departures",
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column(
            "left_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("source_event_id", sa.String(length=100), nullable=True),
        sa.Column(
            "recorded_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("external_id"),
    )


def downgrade() -> None:
    op.drop_table("departures")
