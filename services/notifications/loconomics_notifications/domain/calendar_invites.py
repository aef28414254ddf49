"""The `.ics` (RFC 5545) attached to booking emails.

METHOD:PUBLISH rather than REQUEST: the appointment is already settled between the two
parties, and a REQUEST would make mail clients offer RSVP buttons that answer a no-reply
organizer. The UID is stable per booking and SEQUENCE grows with each change, so importing a
later email updates the same calendar entry; a cancelled booking says STATUS:CANCELLED.
The time is given with the professional's TZID and its VTIMEZONE, where the appointment is.
"""

from __future__ import annotations

from datetime import date, datetime

import icalendar

from .wording import zone_or_utc

PRODID = "-//Loconomics cooperative//Notifications//EN"
STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED")


def booking_uid(booking_id: str) -> str:
    return f"booking-{booking_id}@loconomics.coop"


def booking_calendar(
    *,
    booking_id: str,
    start: datetime,
    end: datetime,
    time_zone: str,
    summary: str,
    status: str,
    sequence: int,
    stamp: datetime,
    description: str | None = None,
    location: str | None = None,
) -> bytes:
    """One VEVENT in a VCALENDAR; `stamp` is when the change happened (ties break on it)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    zone = zone_or_utc(time_zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")
    entry = icalendar.Event()
    entry.add("uid", booking_uid(booking_id))
    entry.add("dtstamp", stamp)
    entry.add("dtstart", start.astimezone(zone))
    entry.add("dtend", end.astimezone(zone))
    entry.add("sequence", sequence)
    entry.add("status", status)
    entry.add("summary", summary)
    if description:
        entry.add("description", description)
    if location:
        entry.add("location", location)
    calendar.add_component(entry)
    local_start = start.astimezone(zone)
    calendar.add_missing_timezones(
        first_date=date(local_start.year - 1, 1, 1), last_date=date(local_start.year + 2, 1, 1)
    )
    return calendar.to_ical()
