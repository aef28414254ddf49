"""The Alembic migrations build exactly the models' schema (SQLite here; PostgreSQL in
`test_governance_postgres.py`), so a migrated database is the one the unit tests use."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from loconomics_governance.models import Base
from loconomics_plumbing.migrate import upgrade
from loconomics_plumbing.storage import make_engine


def test_the_migrations_build_the_models_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'governance.db'}"
    upgrade("governance", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    assert differences == []
