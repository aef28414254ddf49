"""suspended contacts: whether each account is suspended (docs/suspensions.md)

`suspended_accounts` keeps, per account, the newest suspension change applied (profiles'
`account_suspended` / `account_reinstated`): `suspended`, the suspension it was about and when
it was made. A table of its own rather than columns of `contacts`, so that a suspension holds
even before the account's contact has arrived.

Revision ID: c0095cf3e657
Revises: d69974d390c2
Create Date: 2026-11-28 14:39:06.711623
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "c0095cf3e657"
down_revision = "d69974d390c2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suspended_accounts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("suspension_id", sa.String(length=64), nullable=False),
        sa.Column(
            "changed_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("suspended_accounts")
