from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.bookings import cancel_booking, confirm_booking, create_booking
from loconomics_booking.domain.due_work import due_work
from loconomics_booking.domain.reschedules import answer_reschedule, reschedule_booking
from loconomics_booking.models import Booking
from loconomics_booking.schemas import EMITTED_EVENTS
from loconomics_plumbing.errors import Conflict, Forbidden

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
WED_10 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 New York
THU_10 = WED_10 + timedelta(days=1)


def book(session, emit, caller, **data):
    return create_booking(session, emit, caller, {"service_id": "svc-1", **data}, NOW)


def test_client_moves_a_request_at_once(session, emit, client, setup_pro):
    setup_pro()
    request = book(session, emit, client, proposed_starts=[WED_10, WED_10 + timedelta(hours=2)])
    moved = reschedule_booking(session, emit, client, request["id"], THU_10, NOW)
    assert moved["status"] == "requested"
    assert moved["proposed_starts"] == [THU_10.isoformat()]
    assert moved["start"] == THU_10.isoformat()
    event = emit.last("booking_rescheduled")
    assert (event["previous_start"], event["start"], event["rescheduled_by"]) == (
        WED_10.isoformat(),
        THU_10.isoformat(),
        "client",
    )


def test_professional_counter_proposal_confirms_when_the_client_accepts(
    session, emit, client, pro, setup_pro
):
    setup_pro()
    request = book(session, emit, client, start=WED_10)
    pending = reschedule_booking(session, emit, pro, request["id"], THU_10, NOW)
    assert pending["status"] == "requested"
    assert pending["pending_reschedule"]["proposed_by"] == "professional"
    assert emit.last("booking_reschedule_proposed")["proposed_start"] == THU_10.isoformat()
    with pytest.raises(Forbidden):
        answer_reschedule(session, emit, pro, request["id"], True, NOW)
    accepted = answer_reschedule(session, emit, client, request["id"], True, NOW)
    assert accepted["status"] == "confirmed"
    assert accepted["start"] == THU_10.isoformat()
    assert accepted["pending_reschedule"] is None
    assert emit.last("booking_confirmed")["previous_start"] == WED_10.isoformat()


def test_client_moves_an_instant_booking_alone_while_cancelling_is_free(
    session, emit, client, setup_pro
):
    setup_pro(instant=True, buffer_minutes=15)
    booking = book(session, emit, client, start=THU_10)
    moved = reschedule_booking(session, emit, client, booking["id"], WED_10, NOW)
    assert moved["start"] == WED_10.isoformat()
    assert emit.last("booking_rescheduled")["previous_start"] == THU_10.isoformat()
    row = session.get(Booking, booking["id"])
    assert row.occupied_end == WED_10 + timedelta(minutes=75)
    assert row.reminder_due_at == WED_10 - timedelta(hours=48)


def test_late_move_of_an_instant_booking_needs_the_professional(
    session, emit, client, pro, setup_pro
):
    setup_pro(instant=True, policy="flexible")
    booking = book(session, emit, client, start=WED_10)
    late = WED_10 - timedelta(hours=20)
    pending = reschedule_booking(session, emit, client, booking["id"], THU_10, late)
    assert pending["start"] == WED_10.isoformat()
    assert pending["pending_reschedule"]["start"] == THU_10.isoformat()
    accepted = answer_reschedule(session, emit, pro, booking["id"], True, late)
    assert accepted["start"] == THU_10.isoformat()
    assert emit.last("booking_rescheduled")["rescheduled_by"] == "client"


def test_declined_move_leaves_the_booking_where_it_was(session, emit, client, pro, setup_pro):
    setup_pro()
    request = book(session, emit, client, start=WED_10)
    confirm_booking(session, emit, pro, request["id"], WED_10, NOW)
    reschedule_booking(session, emit, client, request["id"], THU_10, NOW)
    kept = answer_reschedule(session, emit, pro, request["id"], False, NOW)
    assert kept["start"] == WED_10.isoformat()
    assert kept["pending_reschedule"] is None
    assert emit.last("booking_reschedule_declined")["declined_by"] == "professional"
    with pytest.raises(Conflict):
        answer_reschedule(session, emit, pro, request["id"], True, NOW)


def test_moves_into_taken_time_are_refused(session, emit, client, other_client, pro, setup_pro):
    setup_pro(instant=True)
    mine = book(session, emit, client, start=WED_10)
    book(session, emit, other_client, start=THU_10)
    with pytest.raises(Conflict):
        reschedule_booking(session, emit, client, mine["id"], THU_10, NOW)
    with pytest.raises(Conflict):
        reschedule_booking(session, emit, pro, mine["id"], THU_10 + timedelta(minutes=30), NOW)


def test_accepting_a_move_whose_time_was_taken_meanwhile_conflicts(
    session, emit, client, other_client, pro, setup_pro
):
    setup_pro(instant=True)
    mine = book(session, emit, client, start=WED_10)
    reschedule_booking(session, emit, pro, mine["id"], THU_10, NOW)
    book(session, emit, other_client, start=THU_10)
    with pytest.raises(Conflict):
        answer_reschedule(session, emit, client, mine["id"], True, NOW)


def test_unanswered_move_lapses(session, emit, client, pro, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=THU_10)
    pending = reschedule_booking(session, emit, pro, booking["id"], WED_10, NOW)
    assert pending["pending_reschedule"]["expires_at"] == WED_10.isoformat()
    with pytest.raises(Conflict):
        answer_reschedule(session, emit, client, booking["id"], True, WED_10)
    done = due_work(session, emit, WED_10)
    assert done["reschedules_lapsed"] == 1
    lapsed = emit.last("booking_reschedule_expired")
    assert lapsed["proposed_by"] == "professional"
    assert EMITTED_EVENTS["booking_reschedule_expired"]().validate(lapsed) == {}
    assert session.get(Booking, booking["id"]).reschedule_start is None


def test_who_and_when_may_move(session, emit, client, admin, setup_pro):
    setup_pro(instant=True)
    booking = book(session, emit, client, start=WED_10)
    with pytest.raises(Forbidden):
        reschedule_booking(session, emit, admin, booking["id"], THU_10, NOW)
    with pytest.raises(Conflict):
        reschedule_booking(session, emit, client, booking["id"], THU_10, WED_10)
    cancel_booking(session, emit, client, booking["id"], NOW)
    with pytest.raises(Conflict):
        reschedule_booking(session, emit, client, booking["id"], THU_10, NOW)
