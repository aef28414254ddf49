"""No double booking, ever: the time a booking holds, the check before writing, the backstop.

Why an exclusion constraint (PostgreSQL) and a trigger (SQLite) rather than a
table of claimed 15-minute cells: cells only work when every start, duration and
buffer falls on the cell grid. Durations come from profiles (50 minutes is
common), buffers are free minutes, and a grid of one-minute cells would write a
hundred rows per booking. The constraint and the trigger compare exact intervals,
need no extra rows, and are atomic inside the database on both engines.

`assert_free` is the polite first line: it names the conflict before any write.
The database rule is the one that cannot be raced; `flush_or_conflict` turns its
refusal (and a lost optimistic-lock race on `version`) into the same `Conflict`.
On SQLite the transaction must hold the write lock before `assert_free` runs
(BEGIN IMMEDIATE, as the plumbing's engine does) for the check to be exact; the
trigger keeps the invariant even if it does not.

On PostgreSQL `assert_free` first takes a lock on the professional's time for the rest
of the transaction (an advisory lock), so two bookings of one professional are checked and
written one after the other: the later one sees the earlier and gets its Conflict from the
check. Without it, bookings racing for one slot each wait inside the exclusion
constraint for the others, and those waits deadlock: fifty at once gave one booking and
forty-nine `deadlock detected` in a CI run. Bookings of different professionals do not
wait for each other (two sharing a lock number only would, briefly).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..models import OVERLAP_GUARD, Booking
from .lifecycle import HOLDING

SLOT_TAKEN = "This time is no longer available."


def occupied_interval(
    start: datetime, end: datetime, buffer_minutes: int
) -> tuple[datetime, datetime]:
    """The time a booking holds: its own span plus the turnaround after it."""
    return start, end + timedelta(minutes=buffer_minutes)


def holding_bookings_query(professional_id: str, start: datetime, end: datetime):
    """Holding bookings of a professional whose occupied interval meets [start, end)."""
    return select(Booking).where(
        Booking.professional_id == professional_id,
        Booking.status.in_([status.value for status in HOLDING]),
        Booking.occupied_start < end,
        Booking.occupied_end > start,
    )


def assert_free(
    session: Session,
    professional_id: str,
    start: datetime,
    end: datetime,
    exclude_booking_id: str | None = None,
) -> None:
    """Conflict when [start, end) meets time another booking of the professional holds.

    `start`/`end` are the occupied interval of the booking about to hold time. The
    session's own pending changes are not flushed first: the booking being checked
    may already carry its new time, and writing it is `flush_or_conflict`'s job.
    """
    query = holding_bookings_query(professional_id, start, end).with_only_columns(Booking.id)
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    with session.no_autoflush:
        hold_professionals_time(session, professional_id)
        taken = session.execute(query.limit(1)).first()
    if taken is not None:
        raise Conflict(SLOT_TAKEN, {"start": [SLOT_TAKEN]})


def hold_professionals_time(session: Session, professional_id: str) -> None:
    """Wait for, then keep until commit or rollback, the lock on this professional's time."""
    hold_until_commit(session, f"booking-time:{professional_id}")


def is_overlap_refusal(error: IntegrityError) -> bool:
    """True when the database refused a write because of the no-overlap rule."""
    return OVERLAP_GUARD in str(error.orig)


def flush_or_conflict(session: Session) -> None:
    """Write pending changes now, so a taken slot or a lost race is a Conflict, not a 500.

    After a Conflict the session must be rolled back (the caller's unit of work does).
    """
    try:
        session.flush()
    except IntegrityError as error:
        if is_overlap_refusal(error):
            raise Conflict(SLOT_TAKEN, {"start": [SLOT_TAKEN]}) from None
        raise
    except StaleDataError:
        raise Conflict("This booking was changed by someone else; try again.") from None
