"""On PostgreSQL, a departure and a first word about the same person, at the same moment.

Neither has a row to lock when the person is new to governance, so each would miss the
other's uncommitted write and an address would outlive the erasure. What governance keeps of
one person is written by one transaction at a time (`contacts.hold_person`): the later one
waits, then reads what the earlier wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_governance.domain import contacts, departures, members
from loconomics_governance.models import Contact, Departure, Member
from sqlalchemy import select
from sqlalchemy.orm import Session
from transaction_races import race

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
PERSON = "acc-racing"
ADDRESS = "racing@example.org"


def drop(*_) -> None:
    """Events are not what these tests look at."""


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("governance")


def first_word(session: Session) -> None:
    contacts.remember_contact(session, PERSON, "Rae Racing", ADDRESS, now=T0, said_at=T0)


def departure(session: Session) -> None:
    departures.record_departure(session, drop, PERSON, T0 + timedelta(minutes=1), now=T0)


def status_report(session: Session) -> None:
    members.record_member_status(
        session, drop, PERSON, "active", T0, name="Rae Racing", email=ADDRESS, now=T0
    )


def kept_addresses(sessions) -> list:
    with sessions() as session:
        contact = session.scalars(select(Contact.email).where(Contact.external_id == PERSON))
        member = session.scalars(select(Member.email).where(Member.external_id == PERSON))
        return [email for email in [*contact, *member] if email]


def test_a_departure_waits_for_a_first_contact_then_erases_it(sessions):
    race(sessions, first_word, departure)
    assert kept_addresses(sessions) == []
    with sessions() as session:
        assert session.get(Departure, PERSON) is not None


def test_a_first_contact_arriving_during_a_departure_is_not_kept(sessions):
    race(sessions, departure, first_word)
    assert kept_addresses(sessions) == []


def test_a_status_report_with_an_address_during_a_departure_keeps_no_address(sessions):
    race(sessions, departure, status_report)
    assert kept_addresses(sessions) == []
    with sessions() as session:
        [member] = session.scalars(select(Member).where(Member.external_id == PERSON))
        assert member.status == "withdrawn"


def test_a_departure_waits_for_a_status_report_then_erases_its_address(sessions):
    race(sessions, status_report, departure)
    assert kept_addresses(sessions) == []
    with sessions() as session:
        [member] = session.scalars(select(Member).where(Member.external_id == PERSON))
        assert member.status == "withdrawn" and member.name == "Rae Racing"
