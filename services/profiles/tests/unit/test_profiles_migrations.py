"""The one Alembic revision builds exactly the models' schema (accounts and the whole shop window)
on SQLite and PostgreSQL, and the catalog seed command fills it, twice without harm."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from loconomics_plumbing.migrate import upgrade
from loconomics_profiles import shop_models  # noqa: F401 - the shop's tables join the metadata
from loconomics_profiles.domain.catalog_data import ENTRIES
from loconomics_profiles.models import Base
from sqlalchemy import create_engine, text

SHOP_TABLES = {
    "job_titles", "professional_profiles", "credentials", "listings", "listing_services",
    "service_areas", "listing_search", "professional_schedules", "completed_bookings",
    "reviews", "professional_ratings",
}


def _migrate_and_seed(url: str, tmp_path) -> None:
    upgrade("profiles", url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            tables = set(context.dialect.get_table_names(conn))
        assert SHOP_TABLES | {"accounts", "login_sessions", "outbox_events"} <= tables
        env = {"PROFILES_DATABASE_URL": url, "LOCONOMICS_VAR": str(tmp_path), "PATH": ""}
        for written in (len(ENTRIES), 0):
            run = subprocess.run(
                [sys.executable, "-m", "loconomics_profiles.seed_catalog"],
                env=env, capture_output=True, text=True, check=True,
            )
            assert f"{written} titles added or updated" in run.stdout
        with engine.connect() as conn:
            listed = conn.execute(
                text("SELECT count(*) FROM job_titles WHERE status = 'listed'")
            ).scalar_one()
        assert listed == len(ENTRIES) >= 60
    finally:
        engine.dispose()


def test_sqlite_migration_and_seed(tmp_path):
    _migrate_and_seed(f"sqlite:///{tmp_path / 'profiles.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_postgresql_migration_and_seed(postgres_url, tmp_path):
    _migrate_and_seed(postgres_url, tmp_path)
