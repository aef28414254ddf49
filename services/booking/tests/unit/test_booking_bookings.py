from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from loconomics_booking.domain.booking_queries import (
    cancellation_quote,
    cancellation_terms,
    get_booking,
    list_bookings,
)
from loconomics_booking.domain.bookings import (
    cancel_booking,
    complete_booking,
    confirm_booking,
    create_booking,
    decline_booking,
    dispute_booking,
    report_no_show,
    resolve_dispute,
)
from loconomics_booking.domain.due_work import perform_ended
from loconomics_booking.models import Booking
from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from loconomics_plumbing.identity import Caller

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York (EST)
WED_11 = WED_10 + timedelta(hours=1)
WED_14 = WED_10 + timedelta(hours=4)


def book(session, emit, caller, **data):
    data.setdefault("service_id", "svc-1")
    return create_booking(session, emit, caller, data, NOW)


def test_instant_booking_is_confirmed_at_once_and_says_everything(session, emit, client, setup_pro):
    setup_pro(instant=True, policy="moderate")
    booking = book(session, emit, client, start=WED_10)
    assert booking["status"] == "confirmed"
    assert emit.names() == ["booking_confirmed"]
    payload = emit.last("booking_confirmed")
    assert payload == {
        "booking_id": booking["id"],
        "client_id": "client-1",
        "professional_id": "pro-1",
        "service_id": "svc-1",
        "listing_id": "listing-1",
        "status": "confirmed",
        "start": "2026-03-04T15:00:00+00:00",
        "end": "2026-03-04T16:00:00+00:00",
        "time_zone": "America/New_York",
        "price": {"amount_cents": 10_000, "currency": "USD"},
        "policy": "moderate",
        "instant": True,
        "created_by": "client",
    }


def test_instant_booking_takes_one_start_only(session, emit, client, setup_pro):
    setup_pro(instant=True)
    with pytest.raises(Invalid):
        book(session, emit, client, proposed_starts=[WED_10, WED_11])


def test_a_request_proposes_starts_and_the_professional_confirms_one(
    session, emit, client, pro, setup_pro
):
    setup_pro()
    request = book(session, emit, client, proposed_starts=[WED_14, WED_10, WED_11])
    assert request["status"] == "requested"
    assert request["start"] == WED_14.isoformat()
    requested = emit.last("booking_requested")
    assert requested["proposed_starts"] == [s.isoformat() for s in (WED_14, WED_10, WED_11)]
    assert requested["expires_at"] == WED_14.isoformat()  # the latest start, before 72 h

    confirmed = confirm_booking(session, emit, pro, request["id"], WED_11, NOW)
    assert confirmed["status"] == "confirmed"
    assert confirmed["start"] == WED_11.isoformat()
    assert emit.last("booking_confirmed")["start"] == WED_11.isoformat()


def test_a_request_expires_early_when_its_last_start_comes_first(session, emit, client, setup_pro):
    setup_pro()
    soon = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # 14:00 New York the same day
    request = book(session, emit, client, start=soon)
    assert request["expires_at"] == soon.isoformat()


def test_starts_outside_the_offered_slots_are_refused(session, emit, client, setup_pro):
    setup_pro()
    night = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
    with pytest.raises(Conflict) as refused:
        book(session, emit, client, proposed_starts=[WED_10, night])
    assert "proposed_starts" in refused.value.errors
    assert emit.events == []
    with pytest.raises(Invalid):
        book(session, emit, client, proposed_starts=[WED_10, WED_10])


def test_a_start_already_past_is_refused_without_working_out_its_slots(
    session, emit, client, setup_pro
):
    """The day before year 1's first hours is no time: the fuzzing's 500, kept out here too."""
    setup_pro()
    first_hours = datetime(1, 1, 1, 1, 16, 21, tzinfo=UTC)
    with pytest.raises(Conflict) as refused:
        book(session, emit, client, proposed_starts=[first_hours])
    assert list(refused.value.errors) == ["proposed_starts"]
    assert emit.events == []


def test_only_a_proposed_start_can_be_confirmed_and_only_by_the_professional(
    session, emit, client, pro, setup_pro
):
    setup_pro()
    request = book(session, emit, client, proposed_starts=[WED_10])
    with pytest.raises(Forbidden):
        confirm_booking(session, emit, client, request["id"], WED_10, NOW)
    with pytest.raises(Invalid):
        confirm_booking(session, emit, pro, request["id"], WED_11, NOW)
    with pytest.raises(Conflict):
        confirm_booking(session, emit, pro, request["id"], WED_10, NOW + timedelta(hours=72))


def test_two_requests_for_one_hour_only_one_can_be_confirmed(
    session, emit, client, other_client, pro, setup_pro
):
    setup_pro()
    first = book(session, emit, client, start=WED_10)
    second = book(session, emit, other_client, start=WED_10)
    confirm_booking(session, emit, pro, first["id"], WED_10, NOW)
    with pytest.raises(Conflict):
        confirm_booking(session, emit, pro, second["id"], WED_10, NOW)


def test_a_professional_books_their_own_client_directly(session, emit, pro, setup_pro):
    setup_pro()
    evening = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)  # 18:00, after working hours
    booking = book(session, emit, pro, start=evening, client_id="client-9")
    assert booking["status"] == "confirmed"
    assert booking["client_id"] == "client-9"
    assert emit.last("booking_confirmed")["created_by"] == "professional"
    with pytest.raises(Conflict):
        book(session, emit, pro, start=evening + timedelta(minutes=30), client_id="client-8")
    with pytest.raises(Invalid):
        book(session, emit, pro, start=WED_10)


def test_a_client_cannot_book_for_someone_else(session, emit, client, setup_pro):
    setup_pro()
    with pytest.raises(Forbidden):
        book(session, emit, client, start=WED_10, client_id="client-7")


def test_decline_refunds_everything(session, emit, client, pro, setup_pro):
    setup_pro(policy="strict")
    request = book(session, emit, client, start=WED_10)
    declined = decline_booking(session, emit, pro, request["id"], NOW, reason="Away")
    assert declined["status"] == "declined"
    event = emit.last("booking_declined")
    assert (event["refund_cents"], event["fee_cents"]) == (10_000, 0)
    with pytest.raises(Conflict):
        confirm_booking(session, emit, pro, request["id"], WED_10, NOW)


def test_late_client_cancellation_keeps_the_policy_fee(session, emit, client, setup_pro):
    setup_pro(instant=True, policy="flexible", price_cents=9_999)
    booking = book(session, emit, client, start=WED_10)
    late = WED_10 - timedelta(hours=3)
    quote = cancellation_quote(session, client, booking["id"], late)
    assert quote["fee"]["amount_cents"] == 5_000
    cancelled = cancel_booking(session, emit, client, booking["id"], late, reason="Sick")
    event = emit.last("booking_cancelled")
    assert cancelled["status"] == "cancelled"
    assert (event["fee_cents"], event["refund_cents"]) == (5_000, 4_999)
    assert event["cancelled_by"] == "client"
    assert event["no_show"] is False
    assert cancelled["settlement"]["refund"]["amount_cents"] == 4_999


def test_professional_cancellation_refunds_everything(session, emit, client, pro, setup_pro):
    setup_pro(instant=True, policy="strict")
    booking = book(session, emit, client, start=WED_10)
    cancel_booking(session, emit, pro, booking["id"], WED_10 - timedelta(hours=1))
    event = emit.last("booking_cancelled")
    assert (event["fee_cents"], event["refund_cents"], event["cancelled_by"]) == (
        0,
        10_000,
        "professional",
    )


def test_a_booking_that_took_place_cannot_be_cancelled(session, emit, client, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    with pytest.raises(Conflict):
        cancel_booking(session, emit, client, booking["id"], WED_11)


@pytest.mark.parametrize("state", ["performed", "disputed"])
def test_a_performed_or_disputed_booking_is_not_cancelled_into_a_refund(
    session, emit, client, pro, setup_pro, state
):
    """Settled by completion, a no-show report or an administrator, never by a refund the
    client gives themselves after the work was done."""
    setup_pro(instant=True, policy="strict")
    booking = book(session, emit, client, start=WED_10)
    after = WED_11 + timedelta(hours=1)
    perform_ended(session, emit, after)
    if state == "disputed":
        dispute_booking(session, emit, pro, booking["id"], "Client left early", after)
    events = len(emit.names())
    for caller in (client, pro):
        with pytest.raises(Conflict) as refused:
            cancel_booking(session, emit, caller, booking["id"], after)
        assert refused.value.errors == {"status": [state]}
    assert get_booking(session, client, booking["id"])["status"] == state
    assert len(emit.names()) == events


def test_a_repeated_idempotency_key_returns_the_first_booking(session, emit, client, setup_pro):
    setup_pro(instant=True)
    first = book(session, emit, client, start=WED_10, idempotency_key="key-1")
    again = book(session, emit, client, start=WED_10, idempotency_key="key-1")
    assert again["id"] == first["id"]
    same_instant = WED_10.astimezone(ZoneInfo("America/New_York"))
    assert book(session, emit, client, start=same_instant, idempotency_key="key-1") == first
    assert emit.names() == ["booking_confirmed"]
    with pytest.raises(Invalid):
        book(session, emit, client, start=WED_11, idempotency_key="key-1")


def test_strangers_do_not_see_a_booking(session, emit, client, other_client, admin, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    with pytest.raises(NotFound):
        get_booking(session, other_client, booking["id"])
    with pytest.raises(NotFound):
        cancel_booking(session, emit, other_client, booking["id"], NOW)
    with pytest.raises(Unauthorized):
        get_booking(session, Caller(), booking["id"])
    assert get_booking(session, admin, booking["id"])["id"] == booking["id"]


def test_client_completes_right_after_the_end_without_waiting_for_the_timer(
    session, emit, client, pro, setup_pro
):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    with pytest.raises(Forbidden):
        complete_booking(session, emit, pro, booking["id"], WED_11)
    with pytest.raises(Conflict):
        complete_booking(session, emit, client, booking["id"], WED_10)
    done = complete_booking(session, emit, client, booking["id"], WED_11 + timedelta(minutes=1))
    assert done["status"] == "completed"
    assert emit.names()[-2:] == ["booking_performed", "booking_completed"]
    assert emit.last("booking_completed")["completed_by"] == "client"


def test_no_show_is_charged_as_a_late_cancellation(session, emit, client, pro, setup_pro):
    setup_pro(instant=True, policy="flexible")
    booking = book(session, emit, client, start=WED_10)
    with pytest.raises(Conflict):
        report_no_show(session, emit, pro, booking["id"], WED_10 - timedelta(minutes=1))
    report_no_show(session, emit, pro, booking["id"], WED_10 + timedelta(minutes=20))
    event = emit.last("booking_cancelled")
    assert event["no_show"] is True
    assert (event["fee_cents"], event["refund_cents"]) == (5_000, 5_000)
    assert event["cancelled_by"] == "client"


def test_dispute_then_admin_refunds(session, emit, client, pro, admin, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    after = WED_11 + timedelta(hours=1)
    disputed = dispute_booking(session, emit, client, booking["id"], "Never came", after)
    assert disputed["status"] == "disputed"
    assert emit.last("booking_disputed")["disputed_by"] == "client"
    with pytest.raises(Forbidden):
        resolve_dispute(session, emit, pro, booking["id"], "completed", after)
    resolved = resolve_dispute(session, emit, admin, booking["id"], "refunded", after)
    assert resolved["status"] == "cancelled"
    event = emit.last("booking_cancelled")
    assert (event["refund_cents"], event["cancelled_by"], event["reason"]) == (
        10_000,
        "admin",
        "dispute",
    )


def test_dispute_resolved_as_completed(session, emit, client, pro, admin, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    dispute_booking(session, emit, pro, booking["id"], "Client left early", WED_11)
    resolve_dispute(session, emit, admin, booking["id"], "completed", WED_11)
    assert emit.last("booking_completed")["completed_by"] == "admin"
    with pytest.raises(Conflict):
        resolve_dispute(session, emit, admin, booking["id"], "completed", WED_11)


def test_bookings_are_listed_by_start_in_pages(session, emit, client, pro, setup_pro):
    setup_pro(instant=True)
    ids = [
        book(session, emit, client, start=WED_10 + timedelta(days=days))["id"] for days in (2, 0, 1)
    ]
    first = list_bookings(session, client, "client", limit=2)
    assert [item["id"] for item in first["items"]] == [ids[1], ids[2]]
    rest = list_bookings(session, client, "client", limit=2, cursor=first["next_cursor"])
    assert [item["id"] for item in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    assert len(list_bookings(session, pro, "professional")["items"]) == 3
    assert list_bookings(session, pro, "client")["items"] == []
    assert list_bookings(session, client, "client", statuses=["cancelled"])["items"] == []
    with pytest.raises(Invalid):
        list_bookings(session, client, "client", cursor="garbage!")


def test_terms_before_booking_use_the_professionals_zone(session, setup_pro):
    setup_pro(policy="moderate")
    terms = cancellation_terms(session, "svc-1", WED_10)
    assert terms["tiers"][0]["until_local"] == "2026-03-03T10:00:00-05:00"
    assert terms["tiers"][1]["fee"]["amount_cents"] == 10_000


def test_the_database_keeps_the_booking_row_consistent(session, emit, client, setup_pro):
    setup_pro(instant=True, buffer_minutes=15)
    booking = book(session, emit, client, start=WED_10)
    row = session.get(Booking, booking["id"])
    assert row.occupied_start == WED_10
    assert row.occupied_end == WED_11 + timedelta(minutes=15)
    assert row.reminder_due_at == WED_10 - timedelta(hours=48)
    soon = book(session, emit, client, start=WED_10 - timedelta(days=1))
    assert session.get(Booking, soon["id"]).reminder_due_at is None  # less than 48 h ahead


def test_times_given_with_any_offset_are_kept_in_utc(session, emit, client, pro, setup_pro):
    setup_pro()
    new_york = ZoneInfo("America/New_York")
    request = book(session, emit, client, proposed_starts=[WED_10.astimezone(new_york)])
    assert request["proposed_starts"] == ["2026-03-04T15:00:00+00:00"]
    assert emit.last("booking_requested")["start"] == "2026-03-04T15:00:00+00:00"
    paris = WED_10.astimezone(ZoneInfo("Europe/Paris"))
    confirmed = confirm_booking(session, emit, pro, request["id"], paris, NOW)
    assert confirmed["start"] == "2026-03-04T15:00:00+00:00"
