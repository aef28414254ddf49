"""contacts.closed_at: a closed account's contact stays erased and is sent nothing

Revision ID: 2169bb3d8e79
Revises: f211b7804771
Create Date: 2026-11-28 06:39:33.872233
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "2169bb3d8e79"
down_revision = "f211b7804771"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "closed_at",
                loconomics_plumbing.storage.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
