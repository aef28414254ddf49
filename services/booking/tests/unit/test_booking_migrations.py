"""The Alembic migrations build exactly the models' schema, with the no-overlap guard, on both
databases: a service started on a migrated database refuses overlaps like `create_all` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from loconomics_booking.models import OVERLAP_GUARD, Base, Booking
from loconomics_plumbing.migrate import upgrade
from loconomics_plumbing.storage import make_engine
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

T0 = datetime(2026, 3, 4, 15, tzinfo=UTC)


def booking_row(booking_id: str, start: datetime) -> dict:
    return {
        "id": booking_id,
        "client_id": "client",
        "professional_id": "pro",
        "service_id": "svc",
        "listing_id": "listing",
        "status": "confirmed",
        "start": start,
        "end": start + timedelta(hours=1),
        "occupied_start": start,
        "occupied_end": start + timedelta(hours=1),
        "buffer_minutes": 0,
        "time_zone": "UTC",
        "price_cents": 100,
        "currency": "USD",
        "policy": "flexible",
        "instant": True,
        "created_by": "client",
        "creator_id": "client",
        "proposed_starts": [],
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
    }


def check_migrated(url: str) -> None:
    upgrade("booking", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        with engine.begin() as connection:
            connection.execute(insert(Booking.__table__).values(**booking_row("a", T0)))
            connection.execute(
                insert(Booking.__table__).values(**booking_row("b", T0 + timedelta(hours=1)))
            )
        with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
            connection.execute(
                insert(Booking.__table__).values(**booking_row("c", T0 + timedelta(minutes=30)))
            )
        assert OVERLAP_GUARD in str(refused.value.orig)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 2
    finally:
        engine.dispose()


def test_sqlite_migration_matches_the_models_and_guards_overlaps(tmp_path):
    check_migrated(f"sqlite:///{tmp_path / 'booking.sqlite3'}")


@pytest.mark.postgres
def test_postgres_migration_matches_the_models_and_guards_overlaps(postgres_url):
    check_migrated(postgres_url)
