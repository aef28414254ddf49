"""The priced services on a listing.

Services are never deleted, only deactivated, because bookings and receipts keep pointing at
them; every change is announced through the listing's events so booking prices what it sells.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy.orm import Session

from loconomics_profiles.domain.listings import own_listing, service_view, settle
from loconomics_profiles.domain.pricing import SERVICE_FIELDS, check_service, money
from loconomics_profiles.shop_models import Listing, ListingService

Emit = Callable[[str, dict], None]


def add_service(session: Session, emit: Emit, caller: Caller, listing_id: str,
                fields: Mapping[str, object], now: datetime) -> dict:
    listing = own_listing(session, caller, listing_id)
    values = check_service(fields, listing.professional_id)
    service = ListingService(id=uuid.uuid4().hex, listing_id=listing.id, active=True,
                             created_at=now, updated_at=now, **values)
    session.add(service)
    settle(session, emit, listing, listing.status, now)
    return service_view(service)


def _own_service(session: Session, caller: Caller, listing_id: str,
                 service_id: str) -> tuple[Listing, ListingService]:
    listing = own_listing(session, caller, listing_id)
    service = session.get(ListingService, service_id)
    if service is None or service.listing_id != listing.id or not service.active:
        raise NotFound("no such service")
    return listing, service


def update_service(session: Session, emit: Emit, caller: Caller, listing_id: str,
                   service_id: str, changes: Mapping[str, object], now: datetime) -> dict:
    """Change some fields; the merged service must still satisfy its pricing type's rules.

    Switching pricing type drops the package-only fields unless they are given again.
    """
    listing, service = _own_service(session, caller, listing_id, service_id)
    current = {field: getattr(service, field) for field in SERVICE_FIELDS if field != "price"}
    current["price"] = money(service.amount_cents, service.currency)
    if changes.get("pricing_type", service.pricing_type) != service.pricing_type:
        current["sessions"] = None
        current["first_time_clients_only"] = False
    values = check_service({**current, **changes}, listing.professional_id)
    if all(getattr(service, field) == value for field, value in values.items()):
        return service_view(service)
    for field, value in values.items():
        setattr(service, field, value)
    service.updated_at = now
    settle(session, emit, listing, listing.status, now)
    return service_view(service)


def remove_service(session: Session, emit: Emit, caller: Caller, listing_id: str,
                   service_id: str, now: datetime) -> None:
    """Withdraw a service; refused if it is the last one keeping a listing `on`."""
    listing, service = _own_service(session, caller, listing_id, service_id)
    service.active = False
    service.updated_at = now
    settle(session, emit, listing, listing.status, now)
