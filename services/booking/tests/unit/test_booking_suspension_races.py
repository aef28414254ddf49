"""A booking made in the instant booking applies a suspension, on PostgreSQL: the booking and
the suspension take the same locks in the same order, so the booking is refused by the
suspension or cancelled by it, never left open with a suspended member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from loconomics_booking.domain.availability import set_schedule
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.domain.suspensions import (
    PROFESSIONAL_SUSPENDED,
    apply_suspension_change,
)
from loconomics_booking.models import Base, Booking
from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import make_engine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from transaction_races import race

from .conftest import CLIENT_ID, PRO_ID, listing_payload

pytestmark = pytest.mark.postgres

EARLY = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
T0 = datetime(2026, 3, 4, 15, tzinfo=UTC)  # Wednesday 10:00 New York
SUSPENDED_AT = datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC)


@pytest.fixture
def sessions(postgres_url) -> sessionmaker:
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        set_schedule(
            db,
            lambda *event: None,
            Caller(PRO_ID, frozenset({"professional"})),
            {
                "time_zone": "America/New_York",
                "weekly": {"wed": [{"start": "09:00", "end": "17:00"}]},
            },
            EARLY,
        )
        apply_listing_event(db, "listing_published", listing_payload(instant=True), EARLY)
        db.commit()
    yield sessionmaker(engine)
    engine.dispose()


def book(session: Session) -> None:
    create_booking(
        session,
        lambda *event: None,
        Caller(CLIENT_ID, frozenset({"client"})),
        {"service_id": "svc-1", "start": T0},
        NOW,
    )


def suspend(account_id: str):
    def write(session: Session) -> None:
        apply_suspension_change(session, lambda *event: None, account_id, True, SUSPENDED_AT, NOW)

    return write


def statuses(sessions: sessionmaker) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(Booking.status)))


@pytest.mark.parametrize("suspended", [PRO_ID, CLIENT_ID])
def test_a_booking_made_first_is_cancelled_by_the_suspension_waiting_for_it(sessions, suspended):
    race(sessions, book, suspend(suspended))
    assert statuses(sessions) == ["cancelled"]


def test_a_booking_made_during_a_suspension_waits_and_is_refused(sessions):
    refused: list[str] = []

    def try_to_book(session: Session) -> None:
        try:
            book(session)
        except Conflict as conflict:
            refused.append(conflict.detail)
            session.rollback()

    race(sessions, suspend(PRO_ID), try_to_book)
    assert refused == [PROFESSIONAL_SUSPENDED]
    assert statuses(sessions) == []
