"""The names of listed services, from profiles' listing events.

Booking events name the service by id only; emails should say what is booked, so we keep the
names (newest listing version wins). A removed listing keeps its names: past bookings still
refer to them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import KnownService


def record_listing(session: Session, listing: dict[str, Any]) -> None:
    """Apply one loaded `listing_published` / `listing_changed` payload."""
    for service in listing["services"]:
        if not service["name"]:
            continue
        known = session.get(KnownService, service["service_id"])
        if known is None:
            known = KnownService(service_id=service["service_id"], listing_version=-1)
            session.add(known)
        if listing["version"] >= known.listing_version:
            known.listing_id = listing["listing_id"]
            known.name = service["name"]
            known.listing_version = listing["version"]
    session.flush()


def service_name(session: Session, service_id: str | None) -> str | None:
    known = session.get(KnownService, service_id) if service_id else None
    return known.name if known else None
