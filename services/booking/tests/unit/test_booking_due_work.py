from datetime import UTC, datetime, timedelta

from loconomics_booking.domain.bookings import create_booking, dispute_booking
from loconomics_booking.domain.due_work import due_work

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FRI = datetime(2026, 3, 20, 14, 0, tzinfo=UTC)  # Friday 10:00 in New York (EDT)
END = FRI + timedelta(hours=1)


def book(session, emit, caller, start):
    return create_booking(session, emit, caller, {"service_id": "svc-1", "start": start}, NOW)


def test_requests_expire_72_hours_after_they_are_made(session, emit, client, setup_pro):
    setup_pro(policy="strict")
    request = book(session, emit, client, FRI)
    emit.clear()
    assert due_work(session, emit, NOW + timedelta(hours=71, minutes=59))["expired"] == 0
    assert emit.events == []
    assert due_work(session, emit, NOW + timedelta(hours=72))["expired"] == 1
    event = emit.last("booking_expired")
    assert event["booking_id"] == request["id"]
    assert event["status"] == "expired"
    assert (event["refund_cents"], event["fee_cents"]) == (10_000, 0)
    assert due_work(session, emit, NOW + timedelta(hours=80))["expired"] == 0
    assert emit.names() == ["booking_expired"]


def test_reminder_goes_out_once_48_hours_before(session, emit, client, setup_pro):
    setup_pro(instant=True)
    book(session, emit, client, FRI)
    emit.clear()
    assert due_work(session, emit, FRI - timedelta(hours=48, seconds=1))["reminders"] == 0
    assert due_work(session, emit, FRI - timedelta(hours=48))["reminders"] == 1
    assert emit.last("booking_reminder_due")["start"] == FRI.isoformat()
    assert due_work(session, emit, FRI - timedelta(hours=1))["reminders"] == 0
    assert emit.names() == ["booking_reminder_due"]


def test_performed_at_the_end_completed_72_hours_later_review_a_week_after(
    session, emit, client, setup_pro
):
    setup_pro(instant=True)
    book(session, emit, client, FRI)
    due_work(session, emit, FRI - timedelta(hours=48))
    emit.clear()
    assert due_work(session, emit, END - timedelta(seconds=1))["performed"] == 0
    assert due_work(session, emit, END)["performed"] == 1
    assert emit.last("booking_performed")["status"] == "performed"
    assert due_work(session, emit, END + timedelta(hours=71))["completed"] == 0
    assert due_work(session, emit, END + timedelta(hours=72))["completed"] == 1
    assert emit.last("booking_completed")["completed_by"] == "system"
    assert due_work(session, emit, END + timedelta(days=7))["review_requests"] == 1
    assert due_work(session, emit, END + timedelta(days=8))["review_requests"] == 0
    assert emit.names() == ["booking_performed", "booking_completed", "booking_review_requested"]


def test_a_long_outage_catches_up_in_order(session, emit, client, setup_pro):
    setup_pro(instant=True)
    book(session, emit, client, FRI)
    emit.clear()
    done = due_work(session, emit, END + timedelta(days=10))
    assert done == {
        "expired": 0,
        "reschedules_lapsed": 0,
        "performed": 1,
        "completed": 1,
        "reminders": 0,
        "review_requests": 1,
    }
    assert emit.names() == ["booking_performed", "booking_completed", "booking_review_requested"]


def test_a_disputed_booking_is_neither_completed_nor_asked_for_a_review(
    session, emit, client, setup_pro
):
    setup_pro(instant=True)
    booking = book(session, emit, client, FRI)
    dispute_booking(session, emit, client, booking["id"], "Half done", END)
    emit.clear()
    done = due_work(session, emit, END + timedelta(days=10))
    assert done["completed"] == done["review_requests"] == 0
    assert emit.events == []


def test_backlog_drains_in_batches(session, emit, client, other_client, setup_pro):
    setup_pro()
    for days in range(3):
        book(session, emit, client, FRI + timedelta(days=days * 7))
    emit.clear()
    later = NOW + timedelta(hours=73)
    assert due_work(session, emit, later, limit=2)["expired"] == 2
    assert due_work(session, emit, later, limit=2)["expired"] == 1
    assert emit.names() == ["booking_expired"] * 3
