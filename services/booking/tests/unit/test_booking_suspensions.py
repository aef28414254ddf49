"""No booking with a suspended member (docs/suspensions.md): booking's copy of profiles'
suspensions, the newest change winning, the refusal both ways, the open bookings cancelled at
the suspension, reinstatement and closure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.account_closures import close_account
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.domain.suspensions import (
    CLIENT_SUSPENDED,
    PROFESSIONAL_SUSPENDED,
    SUSPENSION_REASON,
    apply_suspension_change,
    is_suspended,
)
from loconomics_booking.models import Booking, SuspendedAccount
from loconomics_booking.schemas import AccountSuspensionEventSchema
from loconomics_plumbing.errors import Conflict, Invalid
from loconomics_plumbing.storage import session_factory
from loconomics_plumbing.validation import load
from loconomics_profiles.schemas import AccountReinstatedEventSchema, AccountSuspendedEventSchema
from sqlalchemy import func, select

from .conftest import CLIENT_ID, OTHER_CLIENT_ID, PRO_ID

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York
T1 = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
T2 = T1 + timedelta(minutes=5)
LATER = NOW + timedelta(hours=1)


def book(session, emit, caller, **data):
    data.setdefault("service_id", "svc-1")
    return create_booking(session, emit, caller, data, NOW)


def count_bookings(session) -> int:
    return session.scalar(select(func.count()).select_from(Booking))


def suspend(session, emit, account_id, at=T1, now=LATER):
    return apply_suspension_change(session, emit, account_id, True, at, now)


def reinstate(session, emit, account_id, at=T2, now=LATER):
    return apply_suspension_change(session, emit, account_id, False, at, now)


@pytest.mark.parametrize("instant", [True, False])
def test_a_client_cannot_book_a_suspended_professional(session, emit, client, setup_pro, instant):
    setup_pro(instant=instant)
    suspend(session, emit, PRO_ID)
    with pytest.raises(Conflict) as refused:
        book(
            session,
            emit,
            client,
            **({"start": WED_10} if instant else {"proposed_starts": [WED_10]}),
        )
    assert refused.value.detail == PROFESSIONAL_SUSPENDED
    assert count_bookings(session) == 0
    assert emit.events == []


def test_a_suspended_client_cannot_book(session, emit, client, setup_pro):
    setup_pro(instant=True)
    suspend(session, emit, CLIENT_ID)
    with pytest.raises(Conflict) as refused:
        book(session, emit, client, start=WED_10)
    assert refused.value.detail == CLIENT_SUSPENDED
    assert count_bookings(session) == 0


def test_a_professional_cannot_book_a_suspended_client(session, emit, pro, setup_pro):
    setup_pro()
    suspend(session, emit, CLIENT_ID)
    with pytest.raises(Conflict) as refused:
        book(session, emit, pro, start=WED_10, client_id=CLIENT_ID)
    assert refused.value.detail == CLIENT_SUSPENDED
    assert count_bookings(session) == 0


def test_a_suspension_cancels_the_members_open_bookings_with_a_full_refund(
    session, emit, client, other_client, setup_pro
):
    setup_pro(instant=True, policy="strict")
    confirmed = book(session, emit, client, start=WED_10)
    requested_by_other = book(session, emit, other_client, start=WED_10 + timedelta(hours=2))
    session.flush()
    emit.clear()

    assert suspend(session, emit, CLIENT_ID) is True
    session.flush()

    mine = session.get(Booking, confirmed["id"])
    assert (mine.status, mine.closed_by, mine.close_reason) == (
        "cancelled",
        "client",
        SUSPENSION_REASON,
    )
    assert (mine.refund_cents, mine.fee_cents) == (10_000, 0)  # strict, yet all refunded
    assert session.get(Booking, requested_by_other["id"]).status == "confirmed"
    assert emit.names() == ["booking_cancelled"]
    cancelled = emit.last("booking_cancelled")
    assert (cancelled["booking_id"], cancelled["refund_cents"], cancelled["reason"]) == (
        confirmed["id"],
        10_000,
        SUSPENSION_REASON,
    )


def test_a_suspended_professional_loses_every_open_booking_as_the_professional(
    session, emit, client, other_client, setup_pro
):
    setup_pro()
    first = book(session, emit, client, proposed_starts=[WED_10])
    second = book(session, emit, other_client, proposed_starts=[WED_10 + timedelta(hours=3)])
    session.flush()
    emit.clear()
    suspend(session, emit, PRO_ID)
    session.flush()
    for made in (first, second):
        booking = session.get(Booking, made["id"])
        assert (booking.status, booking.closed_by, booking.refund_cents) == (
            "cancelled",
            "professional",
            10_000,
        )
    assert emit.names() == ["booking_cancelled", "booking_cancelled"]


def test_a_booking_that_took_place_runs_its_course(session, emit, client, setup_pro):
    setup_pro(instant=True)
    made = book(session, emit, client, start=WED_10)
    session.flush()
    emit.clear()
    # the suspension reaches booking after the appointment ended: performed, not cancelled
    suspend(session, emit, PRO_ID, now=WED_10 + timedelta(hours=2))
    session.flush()
    assert session.get(Booking, made["id"]).status == "confirmed"
    assert emit.events == []


def test_reinstating_lets_them_book_again_and_brings_nothing_back(session, emit, client, setup_pro):
    setup_pro(instant=True)
    made = book(session, emit, client, start=WED_10)
    session.flush()
    suspend(session, emit, CLIENT_ID)
    assert reinstate(session, emit, CLIENT_ID) is True
    session.flush()
    assert session.get(Booking, made["id"]).status == "cancelled"
    again = book(session, emit, client, start=WED_10)
    assert again["status"] == "confirmed"


def test_the_newest_change_wins_and_a_repeat_changes_nothing(session, emit, client, setup_pro):
    setup_pro(instant=True)
    assert reinstate(session, emit, PRO_ID) is True
    # a suspension older than the reinstatement arrives late: not suspended, nothing cancelled
    made = book(session, emit, client, start=WED_10)
    session.flush()
    emit.clear()
    assert suspend(session, emit, PRO_ID, at=T1) is False
    assert is_suspended(session, PRO_ID) is False
    assert session.get(Booking, made["id"]).status == "confirmed"
    assert emit.events == []
    assert reinstate(session, emit, PRO_ID) is False
    assert suspend(session, emit, PRO_ID, at=T2 + timedelta(seconds=1)) is True
    assert is_suspended(session, PRO_ID) is True
    assert is_suspended(session, OTHER_CLIENT_ID) is False
    assert suspend(session, emit, PRO_ID, at=T2 + timedelta(seconds=1)) is False


def test_closure_forgets_the_account_only(session, emit):
    suspend(session, emit, PRO_ID)
    suspend(session, emit, OTHER_CLIENT_ID)
    session.flush()
    close_account(session, emit, PRO_ID, NOW)
    session.flush()
    assert session.scalars(select(SuspendedAccount.account_id)).all() == [OTHER_CLIENT_ID]


def suspended_event(**fields) -> dict:
    return {
        "event_id": "evt-suspended-1",
        "occurred_at": "2026-03-02T12:30:00+00:00",
        "account_id": CLIENT_ID,
        "suspension_id": "susp-1",
        "reason": "scam",
        "note": "Asked clients to pay outside the platform.",
        "suspended_at": "2026-03-02T12:30:00+00:00",
        **fields,
    }


def reinstated_event(**fields) -> dict:
    event = {k: v for k, v in suspended_event(event_id="evt-reinstated-1").items()}
    del event["reason"]
    event["reinstated_at"] = event.pop("suspended_at")
    return {**event, **fields}


def test_the_handlers_apply_profiles_events(engine, worker):
    worker().on_account_suspended(suspended_event())
    with session_factory(engine)() as session:
        assert is_suspended(session, CLIENT_ID)
    # an older suspension delivered again after the reinstatement does not suspend again
    worker().on_account_reinstated(reinstated_event(reinstated_at="2026-03-02T13:00:00+00:00"))
    worker().on_account_suspended(suspended_event(event_id="evt-suspended-0"))
    with session_factory(engine)() as session:
        assert not is_suspended(session, CLIENT_ID)
        assert session.get(SuspendedAccount, CLIENT_ID).changed_at == datetime(
            2026, 3, 2, 13, 0, tzinfo=UTC
        )


@pytest.mark.parametrize(
    ("event", "bad"),
    [
        (suspended_event(account_id=""), "account_id"),
        (suspended_event(account_id=None), "account_id"),
        (suspended_event(suspended_at="2026-03-02T12:30:00"), "suspended_at"),
        ({**suspended_event(), "reinstated_at": "2026-03-02T12:30:00+00:00"}, "_schema"),
        ({k: v for k, v in suspended_event().items() if k != "suspended_at"}, "_schema"),
    ],
)
def test_a_malformed_event_is_refused(event, bad):
    with pytest.raises(Invalid) as refused:
        load(AccountSuspensionEventSchema(), event)
    assert bad in refused.value.errors


@pytest.mark.parametrize(
    ("produced", "sample"),
    [
        (AccountSuspendedEventSchema, suspended_event()),
        (AccountReinstatedEventSchema, reinstated_event()),
    ],
)
def test_our_samples_are_what_profiles_sends_and_we_take_them(produced, sample):
    producer = produced()
    assert producer.validate({k: v for k, v in sample.items() if k in producer.fields}) == {}
    assert set(producer.fields) - {"event_id", "occurred_at"} <= set(sample)
    assert load(
        AccountSuspensionEventSchema(), producer.dump(producer.load(sample, unknown="exclude"))
    )
