"""Blocked pairs: booking's copy of the blocks between members (docs/reports-and-blocks.md).

Revision ID: 8157bf726be4
Revises: 0a9b9601ccae
Create Date: 2026-11-28 11:58:43.450122
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "8157bf726be4"
down_revision = "0a9b9601ccae"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocked_pairs",
        sa.Column("blocker_id", sa.String(length=64), nullable=False),
        sa.Column("blocked_id", sa.String(length=64), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column(
            "changed_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id"),
    )
    with op.batch_alter_table("blocked_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_blocked_pairs_blocked", ["blocked_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("blocked_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_blocked_pairs_blocked")

    op.drop_table("blocked_pairs")
