"""Closing an account: the count profiles asks for first, and what `account_closed` does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from database_rows import every_row
from loconomics_booking.domain import bookings as booking_rules
from loconomics_booking.domain.account_bookings import BookingsChangedMeanwhile
from loconomics_booking.domain.account_closures import close_account, count_unfinished
from loconomics_booking.domain.availability import (
    add_time_off,
    find_slots,
    get_schedule,
    professionals_with_free_slots,
    set_schedule,
)
from loconomics_booking.domain.bookable_services import apply_listing_event
from loconomics_booking.domain.bookings import create_booking
from loconomics_booking.domain.calendar_export import calendar_settings, export_feed
from loconomics_booking.domain.calendar_import import (
    BusySpan,
    ImportOutcome,
    record_import,
    set_import_url,
)
from loconomics_booking.domain.due_work import due_work
from loconomics_booking.domain.lifecycle import Status
from loconomics_booking.models import (
    Base,
    BookableService,
    Booking,
    BusyInterval,
    CalendarLink,
    ListingState,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
    new_id,
)
from loconomics_booking.schemas import AccountClosedEventSchema, BookingCancelledEventSchema
from loconomics_plumbing.errors import Conflict, CoopError, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import session_factory
from loconomics_plumbing.validation import load
from sqlalchemy import select

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York (EST)
THU_10 = WED_10 + timedelta(days=1)
FEED_BASE = "https://api.example.org/v1/calendars"
CALENDAR_URL = "https://calendar.example.org/private/me.ics"
OTHER_PRO_ID = "pro-2"
ACCOUNT = "account-1"
PRO_ID, CLIENT_ID, OTHER_CLIENT_ID = "pro-1", "client-1", "client-2"  # conftest's callers
WEEKDAYS_9_TO_17 = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed")}
UNFINISHED = {"requested", "confirmed", "performed", "disputed"}


def stored_booking(
    session,
    status: str,
    *,
    client_id: str = CLIENT_ID,
    professional_id: str = PRO_ID,
    start: datetime = WED_10,
) -> Booking:
    """A booking row as the lifecycle leaves it in `status` (enough for these rules)."""
    booking = Booking(
        id=new_id(),
        client_id=client_id,
        professional_id=professional_id,
        service_id="svc-1",
        listing_id="listing-1",
        status=status,
        start=start,
        end=start + timedelta(hours=1),
        occupied_start=start,
        occupied_end=start + timedelta(hours=1),
        time_zone="America/New_York",
        price_cents=10_000,
        currency="USD",
        policy="strict",
        instant=True,
        created_by="client",
        creator_id=client_id,
        proposed_starts=[start.isoformat()],
        created_at=NOW - timedelta(days=10),
        updated_at=NOW - timedelta(days=10),
    )
    session.add(booking)
    session.flush()
    return booking


def book(session, emit, caller, start: datetime = WED_10, **data) -> dict:
    return create_booking(
        session, emit, caller, {"service_id": "svc-1", "start": start, **data}, NOW
    )


def snapshot(session) -> list[tuple]:
    """Every booking and bookable service as stored, to see that nothing changed."""
    session.expire_all()
    bookings = session.scalars(select(Booking).order_by(Booking.id))
    services = session.scalars(select(BookableService).order_by(BookableService.service_id))
    return [
        *[(b.id, b.status, b.version, b.updated_at, b.fee_cents, b.refund_cents) for b in bookings],
        *[(s.service_id, s.active, s.updated_at) for s in services],
    ]


# --- count_unfinished_bookings --------------------------------------------------------------


@pytest.mark.parametrize("status", [status.value for status in Status])
def test_unfinished_bookings_count_on_either_side(session, status):
    hour = iter(range(0, 100, 2))

    def at() -> datetime:
        return WED_10 + timedelta(hours=next(hour))

    stored_booking(session, status, client_id=ACCOUNT, professional_id="pro-a", start=at())
    stored_booking(session, status, client_id="client-b", professional_id=ACCOUNT, start=at())
    stored_booking(session, "requested", client_id="client-b", professional_id="pro-a", start=at())
    stored_booking(session, "confirmed", client_id="client-c", professional_id="pro-c", start=at())
    expected = 2 if status in UNFINISHED else 0
    assert count_unfinished(session, ACCOUNT) == expected
    assert count_unfinished(session, "client-c") == 1
    assert count_unfinished(session, "nobody") == 0


# --- a professional's time and services -----------------------------------------------------


def give_pro_everything(session, emit, caller: Caller) -> str:
    """Time off of both kinds, a linked calendar read once; returns the export token."""
    add_time_off(session, emit, caller, {"start": THU_10, "end": THU_10 + timedelta(hours=3)}, NOW)
    add_time_off(
        session,
        emit,
        caller,
        {"weekday": "fri", "start_time": "12:00", "end_time": "13:00", "until": date(2026, 12, 31)},
        NOW,
    )
    set_import_url(session, emit, caller, CALENDAR_URL, FEED_BASE, NOW)
    busy = BusySpan(WED_10 + timedelta(hours=3), WED_10 + timedelta(hours=4), "dentist")
    record_import(session, emit, caller.user_id, CALENDAR_URL, ImportOutcome(spans=(busy,)), NOW)
    settings = calendar_settings(session, caller, FEED_BASE, NOW)
    return settings["export_url"].rsplit("/", 1)[1].removesuffix(".ics")


def rows_of(session, professional_id: str) -> dict[str, int]:
    return {
        model.__name__: len(
            session.scalars(select(model).where(model.professional_id == professional_id)).all()
        )
        for model in (Schedule, TimeOff, WeeklyTimeOffRule, CalendarLink, BusyInterval)
    }


def test_a_closed_professionals_time_is_forgotten_and_nothing_can_be_booked(
    session, emit, pro, client, setup_pro
):
    setup_pro(instant=True)
    token = give_pro_everything(session, emit, pro)
    other = Caller(OTHER_PRO_ID, frozenset({"professional"}))
    set_schedule(session, emit, other, {"time_zone": "UTC", "weekly": WEEKDAYS_9_TO_17}, NOW)
    give_pro_everything(session, emit, other)
    window = (WED_10, WED_10 + timedelta(hours=2))
    assert find_slots(session, PRO_ID, "svc-1", *window, NOW)
    assert rows_of(session, PRO_ID) == {
        "Schedule": 1,
        "TimeOff": 1,
        "WeeklyTimeOffRule": 1,
        "CalendarLink": 1,
        "BusyInterval": 1,
    }
    emit.clear()

    close_account(session, emit, PRO_ID, NOW)

    assert set(rows_of(session, PRO_ID).values()) == {0}
    assert all(count == 1 for count in rows_of(session, OTHER_PRO_ID).values())
    assert get_schedule(session, PRO_ID)["weekly"] == {}
    with pytest.raises(NotFound):
        export_feed(session, token, NOW)
    assert session.get(BookableService, "svc-1").active is False
    with pytest.raises(NotFound):
        find_slots(session, PRO_ID, "svc-1", *window, NOW)
    with pytest.raises(NotFound):
        book(session, emit, client)
    assert professionals_with_free_slots(session, [PRO_ID], *window, NOW) == []
    assert emit.events == []


def test_the_listing_removal_after_the_closure_applies_as_usual(session, emit, listing, setup_pro):
    setup_pro(instant=True)
    close_account(session, emit, PRO_ID, NOW)
    assert apply_listing_event(session, "listing_removed", listing(version=2, status="off"), NOW)
    assert session.get(ListingState, "listing-1").removed is True
    assert session.get(BookableService, "svc-1").active is False

    before = snapshot(session)
    close_account(session, emit, PRO_ID, NOW + timedelta(minutes=1))
    assert snapshot(session) == before
    assert emit.events == []


def test_closing_after_the_listing_removal_changes_nothing_more(session, emit, listing, setup_pro):
    setup_pro(instant=True)
    apply_listing_event(session, "listing_removed", listing(version=2, status="off"), NOW)
    before = snapshot(session)
    close_account(session, emit, PRO_ID, NOW + timedelta(minutes=1))
    assert snapshot(session) == before
    assert rows_of(session, PRO_ID)["Schedule"] == 0


def test_a_late_listing_event_cannot_make_a_closed_professional_bookable(
    session, emit, client, listing, setup_pro
):
    setup_pro(instant=True)
    close_account(session, emit, PRO_ID, NOW)
    assert apply_listing_event(session, "listing_changed", listing(version=2, instant=True), NOW)
    assert find_slots(session, PRO_ID, "svc-1", WED_10, WED_10 + timedelta(hours=2), NOW) == []
    with pytest.raises(Conflict):
        book(session, emit, client)


# --- open bookings ---------------------------------------------------------------------------


def cancelled_payload(booking: dict, cancelled_by: str) -> dict:
    return {
        "booking_id": booking["id"],
        "client_id": CLIENT_ID,
        "professional_id": PRO_ID,
        "service_id": "svc-1",
        "listing_id": "listing-1",
        "status": "cancelled",
        "start": booking["start"],
        "end": booking["end"],
        "time_zone": "America/New_York",
        "price": {"amount_cents": 10_000, "currency": "USD"},
        "policy": "strict",
        "instant": booking["instant"],
        "created_by": "client",
        "cancelled_by": cancelled_by,
        "reason": "account closed",
        "no_show": False,
        "fee_cents": 0,
        "refund_cents": 10_000,
        "kept_percent": 0,
    }


def test_a_client_closing_gets_a_full_refund_where_the_policy_would_keep_it_all(
    session, emit, client, setup_pro
):
    setup_pro(instant=True, policy="strict")  # cancelling 2 days ahead keeps 100%
    booking = book(session, emit, client)
    emit.clear()

    close_account(session, emit, CLIENT_ID, NOW)

    assert emit.names() == ["booking_cancelled"]
    payload = emit.last("booking_cancelled")
    assert payload == cancelled_payload(booking, "client")
    BookingCancelledEventSchema().load(payload)
    row = session.get(Booking, booking["id"])
    assert (row.status, row.closed_by, row.close_reason) == (
        "cancelled",
        "client",
        "account closed",
    )
    assert (row.fee_cents, row.refund_cents, row.closed_at) == (0, 10_000, NOW)
    assert session.get(BookableService, "svc-1").active is True
    assert rows_of(session, PRO_ID)["Schedule"] == 1


def test_a_professional_closing_cancels_as_the_professional_and_frees_nothing_else(
    session, emit, pro, client, other_client, setup_pro
):
    setup_pro(policy="strict")
    request = book(session, emit, other_client, start=None, proposed_starts=[WED_10])
    confirmed = book(session, emit, pro, start=THU_10, client_id=CLIENT_ID)
    emit.clear()

    close_account(session, emit, PRO_ID, NOW)

    cancelled = {payload["booking_id"]: payload for _, payload in emit.events}
    assert emit.names() == ["booking_cancelled", "booking_cancelled"]
    assert cancelled[confirmed["id"]] == {
        **cancelled_payload(confirmed, "professional"),
        "created_by": "professional",
    }
    assert cancelled[request["id"]] == {
        **cancelled_payload(request, "professional"),
        "client_id": OTHER_CLIENT_ID,
    }


def test_a_client_closing_withdraws_their_request_only(
    session, emit, client, other_client, setup_pro
):
    setup_pro()
    mine = book(session, emit, client, start=None, proposed_starts=[WED_10, THU_10])
    theirs = book(session, emit, other_client, start=None, proposed_starts=[WED_10])
    emit.clear()

    close_account(session, emit, CLIENT_ID, NOW)

    assert [payload["booking_id"] for _, payload in emit.events] == [mine["id"]]
    assert emit.last("booking_cancelled")["cancelled_by"] == "client"
    assert emit.last("booking_cancelled")["refund_cents"] == 10_000
    assert session.get(Booking, mine["id"]).status == "cancelled"
    assert session.get(Booking, theirs["id"]).status == "requested"


@pytest.mark.parametrize("status", ["performed", "disputed", "completed", "cancelled", "declined"])
@pytest.mark.parametrize("side", ["client", "professional"])
def test_bookings_past_the_open_states_are_left_as_they_are(session, emit, status, side):
    booking = stored_booking(session, status, start=NOW - timedelta(days=3))
    before = snapshot(session)

    close_account(session, emit, CLIENT_ID if side == "client" else PRO_ID, NOW)

    assert snapshot(session) == before
    assert session.get(Booking, booking.id).status == status
    assert emit.events == []


def test_a_booking_already_over_or_lapsed_is_left_to_the_timer(session, emit):
    ended = stored_booking(session, "confirmed", start=NOW - timedelta(hours=2))
    lapsed = stored_booking(session, "requested", start=WED_10)
    lapsed.expires_at = NOW - timedelta(minutes=1)
    session.flush()

    close_account(session, emit, CLIENT_ID, NOW)

    assert emit.events == []
    due_work(session, emit, NOW)
    assert session.get(Booking, ended.id).status == "performed"
    assert session.get(Booking, lapsed.id).status == "expired"


def test_a_second_run_changes_nothing(session, emit, pro, client, setup_pro):
    setup_pro(instant=True)
    give_pro_everything(session, emit, pro)
    book(session, emit, client)
    stored_booking(session, "completed", start=NOW - timedelta(days=3))
    close_account(session, emit, PRO_ID, NOW)
    before = snapshot(session)
    emit.clear()

    close_account(session, emit, PRO_ID, NOW + timedelta(hours=1))

    assert snapshot(session) == before
    assert emit.events == []


# --- the event and the RPC through the service -----------------------------------------------


def closed_event(**fields) -> dict:
    return {
        "event_id": "evt-closed-1",
        "occurred_at": "2026-03-02T12:00:00+00:00",
        "account_id": CLIENT_ID,
        "closed_at": "2026-03-02T07:00:00-05:00",
        "roles": ["client"],
        "email": "leaving@example.org",
        "name": "Leaving Member",
        "language": "fr",
        **fields,
    }


def test_the_event_is_read_without_the_goodbye_email_fields():
    loaded = load(AccountClosedEventSchema(), closed_event())
    assert loaded["account_id"] == CLIENT_ID
    assert loaded["closed_at"] == NOW
    assert not {"email", "name", "language"} & set(loaded)


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({"account_id": None}, "account_id"),
        ({"account_id": ""}, "account_id"),
        ({"closed_at": None}, "closed_at"),
        ({"closed_at": "2026-03-02T12:00:00"}, "closed_at"),
        ({"closed_at": "yesterday"}, "closed_at"),
    ],
)
def test_a_malformed_event_is_refused(fields, bad):
    event = {key: value for key, value in closed_event(**fields).items() if value is not None}
    with pytest.raises(Invalid) as refused:
        load(AccountClosedEventSchema(), event)
    assert bad in refused.value.errors


def stored(engine) -> str:
    """Everything booking's database holds, as text."""
    with session_factory(engine)() as session:
        return every_row(session, Base.metadata)


def test_the_handler_cancels_once_and_keeps_no_address(engine, worker):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    with session_factory(engine)() as session:
        stored_booking(session, "confirmed", start=soon)
        session.commit()
    assert worker().count_unfinished_bookings(account_id=CLIENT_ID) == {"unfinished": 1}

    worker().on_account_closed(closed_event())
    worker().on_account_closed(closed_event())
    worker().on_account_closed(closed_event(event_id="evt-closed-2"))

    assert worker().count_unfinished_bookings(account_id=CLIENT_ID) == {"unfinished": 0}
    outbox = Base.metadata.tables["outbox_events"]
    with session_factory(engine)() as session:
        events = [json.loads(p) for (p,) in session.execute(select(outbox.c.payload))]
    assert [(e["cancelled_by"], e["fee_cents"], e["refund_cents"]) for e in events] == [
        ("client", 0, 10_000)
    ]
    text = stored(engine)
    assert "leaving@example.org" not in text
    assert "Leaving Member" not in text


def test_the_handler_drops_a_malformed_event_and_the_rpc_checks_its_input(engine, worker):
    with session_factory(engine)() as session:
        stored_booking(session, "requested")
        session.commit()
    worker().on_account_closed(closed_event(closed_at="2026-03-02T12:00:00"))
    assert worker().count_unfinished_bookings(account_id=CLIENT_ID) == {"unfinished": 1}
    with pytest.raises(Invalid) as refused:
        worker().count_unfinished_bookings()
    assert "account_id" in refused.value.errors
    with pytest.raises(Invalid):
        worker().count_unfinished_bookings(account_id=CLIENT_ID, colour="blue")


def test_a_booking_changed_meanwhile_requeues_the_event_instead_of_dropping_it(
    engine, worker, monkeypatch
):
    with session_factory(engine)() as session:
        booking = stored_booking(session, "requested", start=datetime.now(UTC) + timedelta(days=2))
        booking.expires_at = booking.start
        session.commit()

    def lost_race(*args, **kwargs):
        raise Conflict("This booking was changed by someone else; try again.")

    with monkeypatch.context() as patched:
        patched.setattr(booking_rules, "cancel", lost_race)
        with pytest.raises(BookingsChangedMeanwhile) as raised:
            worker().on_account_closed(closed_event())
    assert not isinstance(raised.value, CoopError)  # a typed error would drop the event
    assert worker().count_unfinished_bookings(account_id=CLIENT_ID) == {"unfinished": 1}

    worker().on_account_closed(closed_event())  # the redelivery
    assert worker().count_unfinished_bookings(account_id=CLIENT_ID) == {"unfinished": 0}
