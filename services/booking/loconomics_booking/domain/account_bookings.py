"""An account's open bookings cancelled by the cooperative: at a closure, at a suspension.

Each booking still open (requested, or confirmed and not yet started) is cancelled through
`bookings.cancel` by the account's own side, with everything refunded (no fee), so billing
refunds and the other party is told as for any cancellation. A confirmed booking that has
already ended, or a request that has lapsed, is left to the due-work timer (performed, or
expired with a full refund), like performed and disputed bookings: they run their course.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Booking
from . import bookings, policies
from .lifecycle import OPEN

Emit = Callable[[str, dict], None]


class BookingsChangedMeanwhile(RuntimeError):
    """A booking changed while the account's bookings were being cancelled (a lost race on
    its version).

    Not a typed error on purpose: the plumbing drops an event that raised one, and these
    cancellations must still happen. The handler's transaction rolls back and the event is
    delivered again.
    """


def of_account(account_id: str):
    return or_(Booking.client_id == account_id, Booking.professional_id == account_id)


def cancel_open_bookings(
    session: Session, emit: Emit, account_id: str, now: datetime, *, reason: str
) -> list[Booking]:
    """Cancel every open booking of the account, as client or professional, by its side with
    a full refund; return the bookings cancelled."""
    cancelled = []
    for booking in _open_bookings(session, account_id):
        try:
            bookings.check_cancellable(booking, now)
        except Conflict:
            continue
        side = "client" if booking.client_id == account_id else "professional"
        try:
            bookings.cancel(
                session,
                emit,
                booking,
                side,
                now,
                reason=reason,
                settlement=policies.full_refund(booking.price_cents),
            )
        except Conflict as lost:
            raise BookingsChangedMeanwhile(f"booking {booking.id} changed meanwhile") from lost
        cancelled.append(booking)
    return cancelled


def _open_bookings(session: Session, account_id: str) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(
                of_account(account_id),
                Booking.status.in_([status.value for status in OPEN]),
            )
            .order_by(Booking.start, Booking.id)
            .with_for_update()
        )
    )
