"""Reading bookings: one by id for its participants, and pages of a caller's bookings."""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import field_error
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.validation import decode_cursor, encode_cursor
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Booking
from . import policies
from .availability import bookable_service, get_schedule
from .booking_views import booking_view, side_of
from .bookings import load_booking, policy_settlement
from .lifecycle import Status


def get_booking(session: Session, caller: Caller, booking_id: str) -> dict:
    booking = load_booking(session, booking_id)
    side_of(caller, booking)
    return booking_view(booking)


def list_bookings(
    session: Session,
    caller: Caller,
    as_: str = "client",
    statuses: list[str] | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict:
    """The caller's bookings as client or as professional, by start then id (keyset pages)."""
    user_id = caller.require_user()
    if as_ not in ("client", "professional"):
        raise field_error("as", "Must be client or professional.")
    column = Booking.client_id if as_ == "client" else Booking.professional_id
    query = select(Booking).where(column == user_id)
    if statuses:
        unknown = [status for status in statuses if status not in Status.__members__.values()]
        if unknown:
            raise field_error("status", f"Unknown status: {', '.join(unknown)}.")
        query = query.where(Booking.status.in_(statuses))
    position = decode_cursor(cursor)
    if position is not None:
        if len(position) != 2:
            raise field_error("cursor", "Not a cursor we gave.")
        try:
            after_start = datetime.fromisoformat(position[0])
        except (TypeError, ValueError):
            raise field_error("cursor", "Not a cursor we gave.") from None
        query = query.where(
            or_(
                Booking.start > after_start,
                and_(Booking.start == after_start, Booking.id > str(position[1])),
            )
        )
    rows = list(session.scalars(query.order_by(Booking.start, Booking.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].start.isoformat(), rows[-1].id])
    return {"items": [booking_view(row) for row in rows], "next_cursor": next_cursor}


def cancellation_terms(session: Session, service_id: str, start: datetime) -> dict:
    """The policy of a service as the client sees it before booking `start`."""
    service = bookable_service(session, service_id)
    time_zone = get_schedule(session, service.professional_id)["time_zone"]
    return policies.describe(
        policies.Policy(service.policy), start, service.price_cents, service.currency, time_zone
    )


def cancellation_quote(session: Session, caller: Caller, booking_id: str, now: datetime) -> dict:
    """What cancelling now would cost the caller, before they decide."""
    booking = load_booking(session, booking_id)
    side = side_of(caller, booking)
    settlement = policy_settlement(booking, side, now)
    return {
        "booking_id": booking.id,
        "fee": {"amount_cents": settlement.fee_cents, "currency": booking.currency},
        "refund": {"amount_cents": settlement.refund_cents, "currency": booking.currency},
        "kept_percent": settlement.kept_percent,
        "policy": policies.describe(
            policies.Policy(booking.policy),
            booking.start,
            booking.price_cents,
            booking.currency,
            booking.time_zone,
        ),
    }
