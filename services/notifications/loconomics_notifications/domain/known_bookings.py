"""What we know of each booking from its events: its two parties and its calendar revision.

The parties let messaging check that a conversation about a booking is between the right
two accounts without asking booking. The revision is the `.ics` SEQUENCE: it goes up each
time the appointment changes (time or status), only for events newer than the last change,
so a late or repeated event never makes a calendar go backwards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import KnownBooking


def note_booking_event(session: Session, booking: dict[str, Any], changes_calendar: bool) -> int:
    """Record one loaded booking event; returns the calendar SEQUENCE its email must carry."""
    known = session.get(KnownBooking, booking["booking_id"])
    if known is None:
        known = KnownBooking(
            booking_id=booking["booking_id"],
            client_id=booking["client_id"],
            professional_id=booking["professional_id"],
            calendar_sequence=0,
            last_change_at=booking["occurred_at"],
            last_event_id=booking["event_id"],
        )
        session.add(known)
        session.flush()
        return 0
    if known.last_event_id == booking["event_id"]:
        return known.calendar_sequence
    if changes_calendar and booking["occurred_at"] > known.last_change_at:
        known.calendar_sequence += 1
        known.last_change_at = booking["occurred_at"]
        known.last_event_id = booking["event_id"]
        session.flush()
    return known.calendar_sequence


def booking_parties(session: Session, booking_id: str) -> tuple[str, str] | None:
    """(client_id, professional_id) of a booking we have heard of, else None."""
    known = session.get(KnownBooking, booking_id)
    return None if known is None else (known.client_id, known.professional_id)
