from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from loconomics_notifications.domain.calendar_invites import booking_calendar, booking_uid
from loconomics_notifications.domain.content import calendar_attachment
from loconomics_notifications.domain.routing import handle_event
from loconomics_notifications.models import Notification
from sqlalchemy import select


def _event(ics: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(ics)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    return event


def test_the_time_is_given_in_the_professionals_zone_with_its_vtimezone():
    start = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)
    ics = booking_calendar(
        booking_id="bk1",
        start=start,
        end=start + timedelta(hours=1),
        time_zone="America/Los_Angeles",
        summary="Haircut with Pat",
        status="CONFIRMED",
        sequence=3,
        stamp=datetime(2026, 3, 1, tzinfo=UTC),
        location="12 Main St",
    )
    text = ics.decode()
    assert "DTSTART;TZID=America/Los_Angeles:20260310T143000" in text
    assert "DTEND;TZID=America/Los_Angeles:20260310T153000" in text
    calendar = icalendar.Calendar.from_ical(ics)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/Los_Angeles"
    event = _event(ics)
    assert event["UID"] == booking_uid("bk1")
    assert event["SEQUENCE"] == 3 and event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == start
    assert str(event["LOCATION"]) == "12 Main St"


def test_a_status_outside_rfc_5545_is_refused():
    start = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        booking_calendar(
            booking_id="b",
            start=start,
            end=start + timedelta(hours=1),
            time_zone="UTC",
            summary="x",
            status="DONE",
            sequence=0,
            stamp=start,
        )


def _ics_for(session, event_id, recipient="client1"):
    notification = session.scalars(
        select(Notification).where(
            Notification.event_id == event_id,
            Notification.recipient_id == recipient,
            Notification.channel == "email",
        )
    ).one()
    return _event(calendar_attachment(session, notification))


def test_a_bookings_life_keeps_one_uid_and_raises_sequence_on_each_change(
    session, now, people, make_event
):
    requested = make_event("booking_requested", occurred_at=now)
    confirmed = make_event("booking_confirmed", occurred_at=now + timedelta(minutes=5))
    reminder = make_event("booking_reminder_due", occurred_at=now + timedelta(days=7))
    new_start = datetime(2026, 3, 12, 18, 0, tzinfo=UTC)
    moved = make_event(
        "booking_rescheduled",
        occurred_at=now + timedelta(days=1),
        start=new_start,
        previous_start=requested["start"],
        previous_end=requested["end"],
    )
    cancelled = make_event(
        "booking_cancelled",
        occurred_at=now + timedelta(days=2),
        start=new_start,
        refund_cents=1900,
        cancelled_by="client",
    )
    handle_event(session, "booking_requested", requested, now)
    handle_event(session, "booking_confirmed", confirmed, now)
    handle_event(session, "booking_rescheduled", moved, now)
    handle_event(session, "booking_cancelled", cancelled, now)
    handle_event(session, "booking_reminder_due", reminder, now)
    seen = [
        _ics_for(session, e["event_id"]) for e in (requested, confirmed, moved, cancelled, reminder)
    ]
    assert {str(e["UID"]) for e in seen} == {booking_uid("bk1")}
    assert [e["SEQUENCE"] for e in seen] == [0, 1, 2, 3, 3]
    assert [str(e["STATUS"]) for e in seen] == [
        "TENTATIVE",
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
    ]
    assert seen[2].decoded("DTSTART") == new_start
    # The summary is in the reader's language, naming the other party.
    assert str(seen[1]["SUMMARY"]) == "Haircut avec Pat Rivera"
    assert str(_ics_for(session, confirmed["event_id"], "pro1")["SUMMARY"]) == (
        "Haircut with Chloé Martin"
    )


def test_late_or_repeated_events_never_move_a_calendar_backwards(
    session, now, people, make_booking
):
    confirmed = make_booking(occurred_at=now + timedelta(hours=1))
    late_request = make_booking(occurred_at=now)
    handle_event(session, "booking_confirmed", confirmed, now)
    handle_event(session, "booking_confirmed", confirmed, now)
    handle_event(session, "booking_requested", late_request, now)
    late = _ics_for(session, late_request["event_id"])
    current = _ics_for(session, confirmed["event_id"])
    assert late["SEQUENCE"] == current["SEQUENCE"] == 0
    # Equal SEQUENCE: calendars keep the entry with the later DTSTAMP, the confirmation.
    assert late.decoded("DTSTAMP") < current.decoded("DTSTAMP")


def test_non_booking_notifications_have_no_calendar(session, now, people):
    welcome = session.scalars(
        select(Notification).where(Notification.template == "welcome")
    ).first()
    assert calendar_attachment(session, welcome) is None


def test_a_request_moved_before_confirmation_stays_tentative(session, now, people, make_event):
    moved = make_event("booking_rescheduled", status="requested")
    handle_event(session, "booking_rescheduled", moved, now)
    assert str(_ics_for(session, moved["event_id"])["STATUS"]) == "TENTATIVE"


def test_review_requests_carry_no_calendar(session, now, people, make_booking):
    event = make_booking()
    handle_event(session, "booking_review_requested", event, now)
    notification = session.scalars(
        select(Notification).where(Notification.event_id == event["event_id"])
    ).first()
    assert calendar_attachment(session, notification) is None
