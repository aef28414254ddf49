"""No new booking across a block (docs/reports-and-blocks.md): the pairs kept from
notifications' events, the newest change winning, the refusal both ways, and closure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.account_closures import close_account
from loconomics_booking.domain.blocks import (
    CANNOT_BOOK_CLIENT,
    CANNOT_BOOK_PROFESSIONAL,
    apply_block_change,
    blocked_between,
)
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.models import BlockedPair, Booking
from loconomics_booking.schemas import MemberBlockEventSchema
from loconomics_notifications.schemas import EMITTED_EVENTS as NOTIFICATIONS_EVENTS
from loconomics_plumbing.errors import Conflict, Invalid
from loconomics_plumbing.storage import session_factory
from loconomics_plumbing.validation import load
from sqlalchemy import func, select

from .conftest import CLIENT_ID, OTHER_CLIENT_ID, PRO_ID

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = T1 + timedelta(minutes=5)


def book(session, emit, caller, **data):
    data.setdefault("service_id", "svc-1")
    return create_booking(session, emit, caller, data, NOW)


def bookings(session) -> int:
    return session.scalar(select(func.count()).select_from(Booking))


@pytest.mark.parametrize(("blocker", "blocked"), [(PRO_ID, CLIENT_ID), (CLIENT_ID, PRO_ID)])
@pytest.mark.parametrize("instant", [True, False])
def test_a_client_cannot_book_across_a_block_either_way(
    session, emit, client, setup_pro, blocker, blocked, instant
):
    setup_pro(instant=instant)
    apply_block_change(session, blocker, blocked, True, T1)
    with pytest.raises(Conflict) as refused:
        book(
            session,
            emit,
            client,
            **({"start": WED_10} if instant else {"proposed_starts": [WED_10]}),
        )
    assert refused.value.detail == CANNOT_BOOK_PROFESSIONAL
    assert bookings(session) == 0
    assert emit.events == []


def test_a_professional_cannot_book_a_client_across_a_block(session, emit, pro, setup_pro):
    setup_pro()
    apply_block_change(session, CLIENT_ID, PRO_ID, True, T1)
    with pytest.raises(Conflict) as refused:
        book(session, emit, pro, start=WED_10, client_id=CLIENT_ID)
    assert refused.value.detail == CANNOT_BOOK_CLIENT
    assert bookings(session) == 0


def test_a_block_between_others_changes_nothing_and_an_unblock_lifts_it(
    session, emit, client, other_client, setup_pro
):
    setup_pro(instant=True)
    apply_block_change(session, PRO_ID, OTHER_CLIENT_ID, True, T1)
    assert book(session, emit, client, start=WED_10)["status"] == "confirmed"
    with pytest.raises(Conflict):
        book(session, emit, other_client, start=WED_10 + timedelta(hours=2))
    apply_block_change(session, PRO_ID, OTHER_CLIENT_ID, False, T2)
    later = book(session, emit, other_client, start=WED_10 + timedelta(hours=2))
    assert later["status"] == "confirmed"


def test_the_newest_change_wins_and_a_repeat_changes_nothing(session):
    assert apply_block_change(session, PRO_ID, CLIENT_ID, False, T2) is True
    # a block older than the unblock arrives late: the pair stays unblocked
    assert apply_block_change(session, PRO_ID, CLIENT_ID, True, T1) is False
    assert blocked_between(session, CLIENT_ID, PRO_ID) is False
    assert apply_block_change(session, PRO_ID, CLIENT_ID, False, T2) is False
    assert apply_block_change(session, PRO_ID, CLIENT_ID, True, T2 + timedelta(seconds=1))
    assert blocked_between(session, CLIENT_ID, PRO_ID) is True
    assert blocked_between(session, PRO_ID, CLIENT_ID) is True
    assert blocked_between(session, PRO_ID, OTHER_CLIENT_ID) is False


def test_closure_forgets_the_pairs_of_the_account_only(session, emit):
    apply_block_change(session, PRO_ID, CLIENT_ID, True, T1)
    apply_block_change(session, OTHER_CLIENT_ID, PRO_ID, True, T1)
    apply_block_change(session, OTHER_CLIENT_ID, "client-3", True, T1)
    session.flush()
    close_account(session, emit, PRO_ID, NOW)
    session.flush()
    left = session.execute(select(BlockedPair.blocker_id, BlockedPair.blocked_id)).all()
    assert left == [(OTHER_CLIENT_ID, "client-3")]


def blocked_event(**fields) -> dict:
    return {
        "event_id": "evt-block-1",
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "blocker_id": PRO_ID,
        "blocked_id": CLIENT_ID,
        "blocked_at": "2026-03-01T09:00:00+00:00",
        **fields,
    }


def unblocked_event(**fields) -> dict:
    event = blocked_event(event_id="evt-unblock-1")
    event["unblocked_at"] = event.pop("blocked_at")
    return {**event, **fields}


def test_the_handlers_apply_notifications_events(engine, worker):
    worker().on_member_blocked(blocked_event())
    with session_factory(engine)() as session:
        assert blocked_between(session, CLIENT_ID, PRO_ID)
    # an older block delivered again after the unblock does not block again
    worker().on_member_unblocked(unblocked_event(unblocked_at="2026-03-01T10:00:00+00:00"))
    worker().on_member_blocked(blocked_event(event_id="evt-block-0"))
    with session_factory(engine)() as session:
        assert not blocked_between(session, CLIENT_ID, PRO_ID)
        assert session.get(BlockedPair, (PRO_ID, CLIENT_ID)).changed_at == datetime(
            2026, 3, 1, 10, 0, tzinfo=UTC
        )


@pytest.mark.parametrize(
    ("event", "bad"),
    [
        (blocked_event(blocker_id=""), "blocker_id"),
        (blocked_event(blocked_id=None), "blocked_id"),
        (blocked_event(blocked_at="2026-03-01T09:00:00"), "blocked_at"),
        ({**blocked_event(), "unblocked_at": "2026-03-01T09:00:00+00:00"}, "_schema"),
        ({k: v for k, v in blocked_event().items() if k != "blocked_at"}, "_schema"),
    ],
)
def test_a_malformed_event_is_refused(event, bad):
    with pytest.raises(Invalid) as refused:
        load(MemberBlockEventSchema(), event)
    assert bad in refused.value.errors


@pytest.mark.parametrize(
    ("name", "sample"),
    [("member_blocked", blocked_event()), ("member_unblocked", unblocked_event())],
)
def test_our_samples_are_what_notifications_sends_and_we_take_them(name, sample):
    producer = NOTIFICATIONS_EVENTS[name]()
    assert producer.validate({k: v for k, v in sample.items() if k in producer.fields}) == {}
    assert set(producer.fields) - {"event_id", "occurred_at"} <= set(sample)
    assert load(MemberBlockEventSchema(), producer.dump(producer.load(sample, unknown="exclude")))
