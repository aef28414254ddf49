"""Suspended accounts: booking's copy of profiles' suspensions (docs/suspensions.md).

Revision ID: 59a7a3534627
Revises: 8157bf726be4
Create Date: 2026-11-28 14:36:06.154476
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "59a7a3534627"
down_revision = "8157bf726be4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suspended_accounts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column(
            "changed_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("suspended_accounts")
