"""Moving a booking to another time, by either side, with the other side's consent when owed.

When a move takes effect at once:

* the client of a *request* changes its proposed time (the professional has not
  committed to anything yet; they still confirm or decline);
* the client of a *confirmed instant booking* moves it to another offered slot
  while cancelling would still be free (later, a move could dodge the fee, so
  the professional must agree).

Otherwise the move is a *pending reschedule* the other side accepts or declines:
a professional's counter-proposal on a request (accepting it confirms the
booking at that time), a professional moving a confirmed booking, a client
moving a confirmed booking of a listing that takes requests. A pending
reschedule lapses 72 h after it is proposed, or at the booking's start or the
proposed start if sooner; a newer proposal from either side replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden, field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy.orm import Session

from ..models import Booking
from . import policies
from .availability import bookable_service, is_bookable_start
from .booking_views import booking_view, event_payload, side_of
from .bookings import (
    NOT_AVAILABLE,
    confirm_at,
    ensure_request_open,
    hold_and_emit,
    load_booking,
    schedule_follow_ups,
    set_time,
)
from .lifecycle import OPEN, REQUEST_LIFETIME, RESCHEDULE_LIFETIME, Status
from .local_time import as_utc
from .occupancy import assert_free, flush_or_conflict, occupied_interval

Emit = Callable[[str, dict], None]


def _clear_pending(booking: Booking) -> None:
    booking.reschedule_start = booking.reschedule_by = booking.reschedule_expires_at = None


def _offered(session: Session, booking: Booking, start: datetime, now: datetime) -> bool:
    service = bookable_service(session, booking.service_id)
    return is_bookable_start(session, service, start, now, exclude_booking_id=booking.id)


def _free_for(session: Session, booking: Booking, start: datetime) -> None:
    end = start + (booking.end - booking.start)
    occupied_start, occupied_end = occupied_interval(start, end, booking.buffer_minutes)
    assert_free(
        session,
        booking.professional_id,
        occupied_start,
        occupied_end,
        exclude_booking_id=booking.id,
    )


def reschedule_booking(
    session: Session, emit: Emit, caller: Caller, booking_id: str, start: datetime, now: datetime
) -> dict:
    """Ask to move a booking to `start`: done at once, or left pending for the other side."""
    start = as_utc(start)
    booking = load_booking(session, booking_id)
    side = side_of(caller, booking)
    if side == "admin":
        raise Forbidden("Only the client or the professional may move a booking.")
    if booking.status not in OPEN:
        raise Conflict(f"A {booking.status} booking cannot be moved.", {"status": [booking.status]})
    ensure_request_open(booking, now)
    if booking.status == Status.CONFIRMED and booking.start <= now:
        raise Conflict("This booking has already started.")
    if start <= now:
        raise field_error("start", "Must be in the future.")
    if start == booking.start and booking.status == Status.CONFIRMED:
        raise field_error("start", "The booking is already at this time.")

    if side == "client" and booking.status == Status.REQUESTED:
        return _move_request(session, emit, booking, start, now)
    if side == "client" and _client_may_move_alone(booking, now):
        if not _offered(session, booking, start, now):
            raise Conflict(NOT_AVAILABLE, {"start": [NOT_AVAILABLE]})
        return _apply_move(session, emit, booking, start, "client", now)

    if side == "client":
        if not _offered(session, booking, start, now):
            raise Conflict(NOT_AVAILABLE, {"start": [NOT_AVAILABLE]})
    else:
        _free_for(session, booking, start)
    booking.reschedule_start = start
    booking.reschedule_by = side
    booking.reschedule_expires_at = min(now + RESCHEDULE_LIFETIME, start, _deadline(booking))
    booking.updated_at = now
    flush_or_conflict(session)
    emit(
        "booking_reschedule_proposed",
        event_payload(
            booking,
            proposed_start=start.isoformat(),
            proposed_end=(start + (booking.end - booking.start)).isoformat(),
            proposed_by=side,
            expires_at=booking.reschedule_expires_at.isoformat(),
        ),
    )
    return booking_view(booking)


def _deadline(booking: Booking) -> datetime:
    """A pending move must be answered before the booking (or the request) runs out."""
    if booking.status == Status.REQUESTED and booking.expires_at is not None:
        return booking.expires_at
    return booking.start


def _client_may_move_alone(booking: Booking, now: datetime) -> bool:
    return (
        booking.status == Status.CONFIRMED
        and booking.instant
        and policies.kept_percent_at(policies.Policy(booking.policy), booking.start, now) == 0
    )


def _move_request(
    session: Session, emit: Emit, booking: Booking, start: datetime, now: datetime
) -> dict:
    if not _offered(session, booking, start, now):
        raise Conflict(NOT_AVAILABLE, {"start": [NOT_AVAILABLE]})
    previous = (booking.start, booking.end)
    set_time(booking, start, booking.end - booking.start, booking.buffer_minutes)
    booking.proposed_starts = [start.isoformat()]
    booking.expires_at = min(booking.created_at + REQUEST_LIFETIME, start)
    _clear_pending(booking)
    booking.updated_at = now
    flush_or_conflict(session)
    emit("booking_rescheduled", event_payload(booking, **_moved(previous, "client")))
    return booking_view(booking)


def _apply_move(
    session: Session, emit: Emit, booking: Booking, start: datetime, by: str, now: datetime
) -> dict:
    previous = (booking.start, booking.end)
    set_time(booking, start, booking.end - booking.start, booking.buffer_minutes)
    _clear_pending(booking)
    booking.updated_at = now
    schedule_follow_ups(booking, now)
    return hold_and_emit(session, emit, booking, "booking_rescheduled", **_moved(previous, by))


def _moved(previous: tuple[datetime, datetime], by: str) -> dict:
    return {
        "previous_start": previous[0].isoformat(),
        "previous_end": previous[1].isoformat(),
        "rescheduled_by": by,
    }


def answer_reschedule(
    session: Session, emit: Emit, caller: Caller, booking_id: str, accept: bool, now: datetime
) -> dict:
    """The other side accepts or declines a pending move."""
    booking = load_booking(session, booking_id)
    side = side_of(caller, booking)
    if booking.reschedule_start is None or booking.status not in OPEN:
        raise Conflict("There is no pending reschedule on this booking.")
    if side not in ("client", "professional") or side == booking.reschedule_by:
        raise Forbidden("Only the other side may answer this reschedule.")
    if booking.reschedule_expires_at is not None and booking.reschedule_expires_at <= now:
        raise Conflict("This reschedule proposal has lapsed.")
    proposed_by = booking.reschedule_by
    start = booking.reschedule_start
    if not accept:
        _clear_pending(booking)
        booking.updated_at = now
        flush_or_conflict(session)
        emit(
            "booking_reschedule_declined",
            event_payload(
                booking, proposed_start=start.isoformat(), proposed_by=proposed_by, declined_by=side
            ),
        )
        return booking_view(booking)
    if booking.status == Status.REQUESTED:
        previous = (booking.start, booking.end)
        _clear_pending(booking)
        booking.proposed_starts = [start.isoformat()]
        confirm_at(booking, start, now)
        return hold_and_emit(
            session, emit, booking, "booking_confirmed", **_moved(previous, proposed_by)
        )
    return _apply_move(session, emit, booking, start, proposed_by, now)


def lapse_pending(booking: Booking, emit: Emit, now: datetime) -> None:
    """Drop a pending move nobody answered in time (the timer calls this)."""
    start = booking.reschedule_start
    proposed_by = booking.reschedule_by
    _clear_pending(booking)
    booking.updated_at = now
    emit(
        "booking_reschedule_expired",
        event_payload(
            booking, proposed_start=start.isoformat() if start else None, proposed_by=proposed_by
        ),
    )
