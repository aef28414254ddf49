from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from loconomics_booking.domain.availability import add_time_off
from loconomics_booking.domain.bookings import cancel_booking, create_booking
from loconomics_booking.domain.calendar_export import (
    calendar_settings,
    export_feed,
    reset_export_token,
)
from loconomics_booking.domain.reschedules import reschedule_booking
from loconomics_plumbing.errors import Forbidden, NotFound

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
WED_10 = datetime(2026, 3, 4, 15, tzinfo=UTC)
BASE = "https://api.example.org/v1/calendars"


def token_of(settings: dict) -> str:
    return settings["export_url"].removeprefix(BASE + "/").removesuffix(".ics")


def events(document: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(document)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_feed_lists_confirmed_bookings_and_time_off_with_stable_uids(
    session, emit, pro, client, other_client, setup_pro
):
    setup_pro(instant=True)
    kept = create_booking(session, emit, client, {"service_id": "svc-1", "start": WED_10}, NOW)
    gone = create_booking(
        session,
        emit,
        other_client,
        {"service_id": "svc-1", "start": WED_10 + timedelta(hours=2)},
        NOW,
    )
    cancel_booking(session, emit, other_client, gone["id"], NOW)
    off = add_time_off(
        session,
        emit,
        pro,
        {"start": WED_10 + timedelta(days=1), "end": WED_10 + timedelta(days=2)},
        NOW,
    )
    token = token_of(calendar_settings(session, pro, BASE, NOW))
    first = events(export_feed(session, token, NOW))
    assert set(first) == {f"booking-{kept['id']}@loconomics", f"time-off-{off['id']}@loconomics"}
    booking_event = first[f"booking-{kept['id']}@loconomics"]
    assert booking_event.decoded("DTSTART") == WED_10
    assert str(booking_event["SUMMARY"]) == "Booking: Deep tissue massage"
    assert "client-1" not in export_feed(session, token, NOW).decode()

    reschedule_booking(session, emit, client, kept["id"], WED_10 + timedelta(hours=3), NOW)
    again = events(export_feed(session, token, NOW + timedelta(minutes=5)))
    moved = again[f"booking-{kept['id']}@loconomics"]
    assert moved.decoded("DTSTART") == WED_10 + timedelta(hours=3)
    assert int(moved["SEQUENCE"]) > int(booking_event["SEQUENCE"])


def feed_with_weekly_time_off(session, emit, pro, when: str, until: date) -> bytes:
    """The professional's feed after adding weekly time off `when` ("fri 12:00-13:30")."""
    weekday, hours = when.split()
    start_time, end_time = hours.split("-")
    rule = {"weekday": weekday, "start_time": start_time, "end_time": end_time, "until": until}
    add_time_off(session, emit, pro, rule, NOW)
    return export_feed(session, token_of(calendar_settings(session, pro, BASE, NOW)), NOW)


def test_weekly_time_off_is_one_recurring_event_in_the_professionals_zone(
    session, emit, pro, setup_pro
):
    setup_pro(time_zone="Europe/Paris")
    document = feed_with_weekly_time_off(session, emit, pro, "fri 12:00-13:30", date(2026, 6, 26))
    assert b"BEGIN:VTIMEZONE" in document and b"TZID:Europe/Paris" in document
    (event,) = events(document).values()
    start = event.decoded("DTSTART")
    assert start.replace(tzinfo=None) == datetime(2026, 3, 6, 12, 0)
    assert str(start.tzinfo) == "Europe/Paris"
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["UNTIL"][0] == datetime(2026, 6, 26, 10, 0, tzinfo=UTC)  # 12:00 CEST


def test_weekly_time_off_until_the_last_date_taken_is_exported(session, emit, pro, setup_pro):
    """Until 9999-12-31 (now refused by the schema) failed here: its last start in UTC,
    from New York, fell after year 9999."""
    setup_pro(time_zone="America/New_York")
    document = feed_with_weekly_time_off(session, emit, pro, "sun 22:00-23:30", date(8999, 12, 31))
    (event,) = events(document).values()
    assert event["RRULE"]["UNTIL"][0] == datetime(9000, 1, 1, 3, 0, tzinfo=UTC)


def test_reset_token_kills_the_old_url(session, pro, client):
    old = token_of(calendar_settings(session, pro, BASE, NOW))
    assert calendar_settings(session, pro, BASE, NOW)["export_url"].endswith(f"{old}.ics")
    new = token_of(reset_export_token(session, pro, BASE, NOW))
    assert new != old and len(new) >= 40
    assert b"BEGIN:VCALENDAR" in export_feed(session, new, NOW)
    with pytest.raises(NotFound):
        export_feed(session, old, NOW)
    with pytest.raises(Forbidden):
        calendar_settings(session, client, BASE, NOW)
