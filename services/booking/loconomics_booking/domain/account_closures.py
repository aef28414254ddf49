"""What closing an account means to booking: the check profiles makes before, the work after.

Profiles closes an account only when `count_unfinished` is 0, so the bookings still open
when `account_closed` arrives are the rare ones made in the instant before the closure.
Each is cancelled by the closed account's side with everything refunded
(`account_bookings.cancel_open_bookings`), so billing refunds and the other party is told as
for any cancellation. Finished bookings stay as they are: they are the other
party's history and the cooperative's records.

Of a professional, everything that describes their time goes: schedule, time off,
weekly time-off rules, the calendar link (its export token and the imported URL) and
the busy time read from it; their bookable services stop taking bookings. The blocks
made by the account or of it go too, and booking's copy of its suspension. Without a
schedule no slot is offered, so even a late listing event that revives a service
before profiles' `listing_removed` arrives cannot lead to a booking.

Nothing here depends on the roles the event names: whatever booking holds for the
account goes, so a second run (a redelivery) finds nothing left to change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import (
    Booking,
    BusyInterval,
    CalendarLink,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from . import blocks, bookable_services, suspensions
from .account_bookings import cancel_open_bookings, of_account
from .lifecycle import UNFINISHED

Emit = Callable[[str, dict], None]

CLOSURE_REASON = "account closed"
PROFESSIONAL_TIME = (Schedule, TimeOff, WeeklyTimeOffRule, CalendarLink, BusyInterval)
"""The rows that describe a professional's time, each keyed by `professional_id`."""


def count_unfinished(session: Session, account_id: str) -> int:
    """Bookings of the account, as client or professional, that have not ended yet."""
    return session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            of_account(account_id),
            Booking.status.in_([status.value for status in UNFINISHED]),
        )
    )


def close_account(session: Session, emit: Emit, account_id: str, now: datetime) -> None:
    """Apply `account_closed`: forget the professional's time, withdraw their services,
    cancel what is still open with a full refund."""
    for model in PROFESSIONAL_TIME:
        session.execute(delete(model).where(model.professional_id == account_id))
    bookable_services.withdraw_professional(session, account_id, now)
    blocks.forget_blocks_of(session, account_id)
    suspensions.forget_suspension_of(session, account_id)
    cancel_open_bookings(session, emit, account_id, now, reason=CLOSURE_REASON)
