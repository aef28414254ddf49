"""What closing an account means to booking: the check profiles makes before, the work after.

Profiles closes an account only when `count_unfinished` is 0, so the bookings still open
when `account_closed` arrives are the rare ones made in the instant before the closure.
Each is cancelled through `bookings.cancel` by the closed account's side, with everything
refunded, so billing refunds and the other party is told as for any cancellation. A
confirmed booking that has already ended, or a request that has lapsed, is left to the
due-work timer (performed, or expired with a full refund), like performed and disputed
bookings: they run their course. Finished bookings stay as they are: they are the other
party's history and the cooperative's records.

Of a professional, everything that describes their time goes: schedule, time off,
weekly time-off rules, the calendar link (its export token and the imported URL) and
the busy time read from it; their bookable services stop taking bookings. The blocks
made by the account or of it go too. Without a
schedule no slot is offered, so even a late listing event that revives a service
before profiles' `listing_removed` arrives cannot lead to a booking.

Nothing here depends on the roles the event names: whatever booking holds for the
account goes, so a second run (a redelivery) finds nothing left to change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..models import (
    Booking,
    BusyInterval,
    CalendarLink,
    Schedule,
    TimeOff,
    WeeklyTimeOffRule,
)
from . import blocks, bookable_services, policies
from .bookings import cancel, check_cancellable
from .lifecycle import OPEN, UNFINISHED

Emit = Callable[[str, dict], None]

CLOSURE_REASON = "account closed"
PROFESSIONAL_TIME = (Schedule, TimeOff, WeeklyTimeOffRule, CalendarLink, BusyInterval)
"""The rows that describe a professional's time, each keyed by `professional_id`."""


class ClosureInterrupted(RuntimeError):
    """A booking changed while the account was being closed (a lost race on its version).

    Not a typed error on purpose: the plumbing drops an event that raised one, and this
    closure must still happen. The handler's transaction rolls back and the event is
    delivered again.
    """


def _of_account(account_id: str):
    return or_(Booking.client_id == account_id, Booking.professional_id == account_id)


def count_unfinished(session: Session, account_id: str) -> int:
    """Bookings of the account, as client or professional, that have not ended yet."""
    return session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            _of_account(account_id),
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
    for booking in _open_bookings(session, account_id):
        try:
            check_cancellable(booking, now)
        except Conflict:
            continue
        side = "client" if booking.client_id == account_id else "professional"
        try:
            cancel(
                session,
                emit,
                booking,
                side,
                now,
                reason=CLOSURE_REASON,
                settlement=policies.full_refund(booking.price_cents),
            )
        except Conflict as lost:
            raise ClosureInterrupted(f"booking {booking.id} changed meanwhile") from lost


def _open_bookings(session: Session, account_id: str) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(
                _of_account(account_id),
                Booking.status.in_([status.value for status in OPEN]),
            )
            .order_by(Booking.start, Booking.id)
            .with_for_update()
        )
    )
