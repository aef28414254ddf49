"""review reports and removal

Revision ID: 8ce9b880525e
Revises: 3a9029de2202
Create Date: 2026-11-28 12:01:11.254866
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "8ce9b880525e"
down_revision = "3a9029de2202"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "removed_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("removal_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("removal_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("removed_by", sa.String(length=64), nullable=True))

    op.create_table(
        "review_reports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("review_id", sa.String(length=64), nullable=False),
        sa.Column("reporter_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "resolved_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_reporter"),
    )
    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_reports_queue", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_reports_reporter_id"), ["reporter_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reports_reporter_id"))
        batch_op.drop_index("ix_review_reports_queue")
    op.drop_table("review_reports")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("removed_by")
        batch_op.drop_column("removal_note")
        batch_op.drop_column("removal_reason")
        batch_op.drop_column("removed_at")
