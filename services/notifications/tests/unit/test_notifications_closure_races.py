"""On PostgreSQL, an account's closure and a sign-up or change of the same account at the same
moment (two copies of the service, or one handling two queues): our copy of the contact is
written by one transaction at a time (`contacts.hold_contact`), so the address never outlives
the closure, whichever comes first."""

from __future__ import annotations

import pytest
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Contact
from transaction_races import race

pytestmark = pytest.mark.postgres

ACCOUNT = "acc-racing"


@pytest.fixture
def sessions(migrated_sessions):
    return migrated_sessions("notifications")


@pytest.fixture
def sign_up(make_account, now):
    event = make_account(ACCOUNT, "Rae Racing", email="rae@example.org")
    return lambda session: handle_event(session, "account_created", event, now)


@pytest.fixture
def change(make_account, now):
    event = make_account(ACCOUNT, "Rae Renamed", email="rae.new@example.org")
    return lambda session: handle_event(session, "account_changed", event, now)


@pytest.fixture
def closure(make_event, now):
    event = {**make_event("account_closed"), "account_id": ACCOUNT, "email": "rae@example.org"}
    return lambda session: handle_event(session, "account_closed", event, now)


def contact(sessions) -> tuple:
    with sessions() as session:
        row = session.get(Contact, ACCOUNT)
        return (row.email, row.name, row.closed_at is not None)


def test_a_closure_waits_for_a_first_contact_then_erases_it(sessions, sign_up, closure):
    race(sessions, sign_up, closure)
    assert contact(sessions) == ("", "Former member", True)


def test_a_sign_up_arriving_during_a_closure_fills_nothing_in(sessions, sign_up, closure):
    race(sessions, closure, sign_up)
    assert contact(sessions) == ("", "Former member", True)


def test_a_closure_waits_for_an_address_change_then_erases_it(sessions, sign_up, change, closure):
    with sessions() as session:
        sign_up(session)
        session.commit()
    race(sessions, change, closure)
    assert contact(sessions) == ("", "Former member", True)
