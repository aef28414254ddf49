"""Booking's own copy of what profiles sells, kept from profiles' listing events.

Booking never asks profiles while a client books (one hop less, and booking keeps
working when profiles is down): it keeps `bookable_services` from
`listing_published`, `listing_changed` and `listing_removed`.

Events arrive at least once and in any order. Each carries the listing's
`version` (an integer profiles raises on every change) or, failing that, its
`changed_at`; the newest applied per listing is remembered in `listing_states`,
and an event not newer than it changes nothing. So a repeat is a no-op, a late
old event cannot undo a newer one, and a removal that overtakes the publication
still wins (its tombstone is remembered even with no service rows yet).

A listing event describes the whole listing: a service missing from it, or a
listing whose status is not `on`, is no longer bookable. Booking stores the price
of one booking: an hourly price times the duration; a package's price divided by
its sessions (each session is booked on its own); a consultation or estimate
without a price is free to book. Add-ons, and services without a duration, are
kept but not bookable on their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import BookableService, ListingState
from .policies import Policy

LISTING_EVENTS = ("listing_published", "listing_changed", "listing_removed")
DEFAULT_CURRENCY = "USD"


def _is_newer(state: ListingState, version: int | None, changed_at: datetime | None) -> bool:
    incoming = (version or 0, changed_at)
    current = (state.version, state.changed_at)
    if incoming[0] != current[0]:
        return incoming[0] > current[0]
    if incoming[1] is None or current[1] is None:
        return False
    return incoming[1] > current[1]


def booking_price_cents(
    pricing_type: str, amount_cents: int, duration_minutes: int, sessions: int | None = None
) -> int:
    """The price of one booking of the service, from the listed price (half up)."""
    if pricing_type == "hourly":
        return (amount_cents * duration_minutes * 2 + 60) // 120
    if pricing_type == "package" and sessions:
        return (amount_cents * 2 + sessions) // (2 * sessions)
    return amount_cents


def apply_listing_event(session: Session, event_type: str, payload: dict, now: datetime) -> bool:
    """Bring `bookable_services` up to the listing described; False when the event is stale.

    `payload` is a loaded `ListingEventSchema` (datetimes parsed).
    """
    if event_type not in LISTING_EVENTS:
        raise ValueError(f"{event_type} is not a listing event")
    listing_id = payload["listing_id"]
    version = payload.get("version")
    changed_at = payload.get("changed_at")
    state = session.get(ListingState, listing_id)
    if state is None:
        state = ListingState(
            listing_id=listing_id,
            professional_id=payload.get("professional_id") or "",
            version=version or 0,
            changed_at=changed_at,
            removed=False,
            updated_at=now,
        )
        session.add(state)
    elif not _is_newer(state, version, changed_at):
        return False
    state.version = version or 0
    state.changed_at = changed_at
    state.removed = event_type == "listing_removed" or payload.get("status", "on") != "on"
    state.updated_at = now

    existing = {
        row.service_id: row
        for row in session.scalars(
            select(BookableService).where(BookableService.listing_id == listing_id)
        )
    }
    listed = [] if state.removed else payload.get("services") or []
    seen = set()
    for item in listed:
        service_id = item["service_id"]
        seen.add(service_id)
        row = existing.get(service_id) or session.get(BookableService, service_id)
        if row is None:
            row = BookableService(service_id=service_id)
            session.add(row)
        row.listing_id = listing_id
        row.professional_id = payload["professional_id"]
        price = item.get("price") or {"amount_cents": 0, "currency": DEFAULT_CURRENCY}
        row.name = item.get("name") or ""
        row.pricing_type = item.get("pricing_type") or "service"
        row.duration_minutes = item.get("duration_minutes") or 0
        row.sessions = item.get("sessions")
        row.price_cents = booking_price_cents(
            row.pricing_type, price["amount_cents"], row.duration_minutes, row.sessions
        )
        row.currency = price["currency"]
        row.first_time_clients_only = bool(item.get("first_time_clients_only"))
        row.visible_to_client_id = item.get("visible_to_client_id")
        row.policy = Policy(payload["cancellation_policy"]).value
        row.instant_booking = bool(payload.get("instant_booking"))
        row.active = item.get("active", True) and row.duration_minutes > 0
        row.updated_at = now
    for service_id, row in existing.items():
        if service_id not in seen:
            row.active = False
            row.updated_at = now
    session.flush()
    return True


def withdraw_professional(session: Session, professional_id: str, now: datetime) -> None:
    """Stop every service of a professional taking bookings (their account is closed).

    Only the services change, and only those still bookable (a repeat changes
    nothing): `listing_states` stays the record of profiles' events, so the
    `listing_removed` profiles sends for each listing applies as usual, before or
    after this, and a late older listing event is still ignored.
    """
    services = session.scalars(
        select(BookableService).where(
            BookableService.professional_id == professional_id,
            BookableService.active.is_(True),
        )
    ).all()
    for row in services:
        row.active = False
        row.updated_at = now
    session.flush()
