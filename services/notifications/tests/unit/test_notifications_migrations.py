"""The Alembic migration builds exactly the models' schema, append-only triggers included,
on SQLite (the embedded default) and PostgreSQL (compose and Kubernetes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from loconomics_notifications.models import Base
from loconomics_plumbing.migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _migrated_schema_matches_models_and_messages_cannot_change(url: str) -> None:
    upgrade("notifications", url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO conversations (id, client_id, professional_id, subject, "
                    "message_count, client_read_seq, professional_read_seq, created_at, "
                    "last_message_at) VALUES ('c1', 'a', 'b', 's', 1, 1, 0, :now, :now)"
                ),
                {"now": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, seq, sender_id, body, created_at) "
                    "VALUES ('m1', 'c1', 1, 'a', 'hello', :now)"
                ),
                {"now": NOW},
            )
        for statement in ("UPDATE messages SET body = 'changed'", "DELETE FROM messages"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT body FROM messages")).scalar_one() == "hello"
    finally:
        engine.dispose()


def test_sqlite_migration(tmp_path):
    _migrated_schema_matches_models_and_messages_cannot_change(
        f"sqlite:///{tmp_path / 'notifications.sqlite3'}"
    )


@pytest.mark.postgres
def test_postgresql_migration(postgres_url):
    _migrated_schema_matches_models_and_messages_cannot_change(postgres_url)
