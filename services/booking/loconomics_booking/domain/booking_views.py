"""The two outward shapes of a booking: the RPC view and the event payload.

Every booking event carries the same core (who, what, when, where in time, how
much, under which policy) so a consumer never needs to call back to act on it.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller

from ..models import Booking


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def event_payload(booking: Booking, **extra: object) -> dict:
    """The core every booking event carries, plus what this event adds."""
    return {
        "booking_id": booking.id,
        "client_id": booking.client_id,
        "professional_id": booking.professional_id,
        "service_id": booking.service_id,
        "listing_id": booking.listing_id,
        "status": booking.status,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "time_zone": booking.time_zone,
        "price": {"amount_cents": booking.price_cents, "currency": booking.currency},
        "policy": booking.policy,
        "instant": booking.instant,
        "created_by": booking.created_by,
        **extra,
    }


def booking_view(booking: Booking) -> dict:
    """Everything a participant may see of a booking."""
    pending = None
    if booking.reschedule_start is not None:
        pending = {
            "start": booking.reschedule_start.isoformat(),
            "end": (booking.reschedule_start + (booking.end - booking.start)).isoformat(),
            "proposed_by": booking.reschedule_by,
            "expires_at": _iso(booking.reschedule_expires_at),
        }
    settlement = None
    if booking.fee_cents is not None and booking.refund_cents is not None:
        settlement = {
            "fee": {"amount_cents": booking.fee_cents, "currency": booking.currency},
            "refund": {"amount_cents": booking.refund_cents, "currency": booking.currency},
        }
    return {
        "id": booking.id,
        "client_id": booking.client_id,
        "professional_id": booking.professional_id,
        "service_id": booking.service_id,
        "listing_id": booking.listing_id,
        "status": booking.status,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "time_zone": booking.time_zone,
        "price": {"amount_cents": booking.price_cents, "currency": booking.currency},
        "policy": booking.policy,
        "instant": booking.instant,
        "created_by": booking.created_by,
        "proposed_starts": list(booking.proposed_starts or []),
        "expires_at": _iso(booking.expires_at),
        "pending_reschedule": pending,
        "closed_at": _iso(booking.closed_at),
        "closed_by": booking.closed_by,
        "close_reason": booking.close_reason,
        "settlement": settlement,
        "confirmed_at": _iso(booking.confirmed_at),
        "performed_at": _iso(booking.performed_at),
        "completed_at": _iso(booking.completed_at),
        "disputed_at": _iso(booking.disputed_at),
        "created_at": booking.created_at.isoformat(),
        "updated_at": booking.updated_at.isoformat(),
    }


def side_of(caller: Caller, booking: Booking) -> str:
    """'client', 'professional' or 'admin'; anyone else is told the booking does not exist.

    A user who is both the client and the professional cannot exist (booking
    refuses it), so the order of the checks does not matter.
    """
    user_id = caller.require_user()
    if user_id == booking.client_id:
        return "client"
    if user_id == booking.professional_id:
        return "professional"
    if caller.is_admin:
        return "admin"
    raise NotFound("No such booking.")
