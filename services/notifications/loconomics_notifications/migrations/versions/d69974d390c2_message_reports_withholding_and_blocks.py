"""message reports, withholding and blocks (docs/reports-and-blocks.md)

A withheld message is a row of `message_withholdings`, not a change to `messages`: that table
stays append-only, its triggers untouched (nothing here alters it).

Revision ID: d69974d390c2
Revises: 2169bb3d8e79
Create Date: 2026-11-28 12:00:25.213136
"""

import loconomics_plumbing.storage
import sqlalchemy as sa
from alembic import op

revision = "d69974d390c2"
down_revision = "2169bb3d8e79"
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name, loconomics_plumbing.storage.UtcDateTime(timezone=True), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.String(length=64), nullable=False),
        sa.Column("blocked_id", sa.String(length=64), nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id"),
    )
    op.create_index("ix_blocks_blocked", "blocks", ["blocked_id"])
    op.create_index("ix_blocks_blocker", "blocks", ["blocker_id", "created_at"])

    op.create_table(
        "message_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _utc("created_at"),
        _utc("resolved_at", nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'dismissed')", name="ck_message_report_status"
        ),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "reporter_id", name="uq_message_report"),
    )
    op.create_index("ix_message_reports_queue", "message_reports", ["status", "created_at", "id"])
    op.create_index("ix_message_reports_reporter", "message_reports", ["reporter_id"])

    op.create_table(
        "message_withholdings",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _utc("withheld_at"),
        sa.Column("withheld_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("message_id"),
    )


def downgrade() -> None:
    op.drop_table("message_withholdings")
    op.drop_index("ix_message_reports_reporter", table_name="message_reports")
    op.drop_index("ix_message_reports_queue", table_name="message_reports")
    op.drop_table("message_reports")
    op.drop_index("ix_blocks_blocker", table_name="blocks")
    op.drop_index("ix_blocks_blocked", table_name="blocks")
    op.drop_table("blocks")
