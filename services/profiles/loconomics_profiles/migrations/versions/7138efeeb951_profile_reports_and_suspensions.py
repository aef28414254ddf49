"""profile reports and suspensions

Revision ID: 7138efeeb951
Revises: 8ce9b880525e
Create Date: 2026-11-28 14:40:24.136576
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "7138efeeb951"
down_revision = "8ce9b880525e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_reports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("professional_id", sa.String(length=64), nullable=False),
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
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("profile_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_reports_professional_id"), ["professional_id"], unique=False
        )
        batch_op.create_index(
            "ix_profile_reports_queue", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_profile_reports_reporter_id"), ["reporter_id"], unique=False
        )
        batch_op.create_index(
            "uq_profile_reports_open",
            ["professional_id", "reporter_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "suspensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "suspended_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("suspended_by", sa.String(length=64), nullable=False),
        sa.Column(
            "reinstated_at", loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("reinstated_by", sa.String(length=64), nullable=True),
        sa.Column("reinstatement_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suspensions_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_suspensions_current",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text("reinstated_at IS NULL"),
            postgresql_where=sa.text("reinstated_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_suspensions_current",
            sqlite_where=sa.text("reinstated_at IS NULL"),
            postgresql_where=sa.text("reinstated_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_suspensions_account_id"))

    op.drop_table("suspensions")
    with op.batch_alter_table("profile_reports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_profile_reports_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_profile_reports_reporter_id"))
        batch_op.drop_index("ix_profile_reports_queue")
        batch_op.drop_index(batch_op.f("ix_profile_reports_professional_id"))

    op.drop_table("profile_reports")
