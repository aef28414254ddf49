"""Where a listing's professional works: a circle, and whether they travel or host.

The area is the professional's promise ("I go up to 15 km from here"), so search only shows a
listing to clients inside it; the cap keeps that promise local and the search box small.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.identity import Caller
from sqlalchemy.orm import Session

from loconomics_profiles.domain.geo import point_errors, radius_errors
from loconomics_profiles.domain.listings import area_view, own_listing, settle
from loconomics_profiles.shop_models import ServiceArea

Emit = Callable[[str, dict], None]

MAX_AREA_RADIUS_KM = 250.0


def set_service_area(session: Session, emit: Emit, caller: Caller, listing_id: str,
                     lat: float, lng: float, radius_km: float, now: datetime,
                     travels: bool = True, at_location: bool = False) -> dict:
    """Replace a listing's area (`PUT .../service-area`)."""
    listing = own_listing(session, caller, listing_id)
    errors = point_errors(lat, lng)
    errors.update(radius_errors(radius_km, MAX_AREA_RADIUS_KM))
    if not isinstance(travels, bool):
        errors["travels"] = ["must be true or false"]
    if not isinstance(at_location, bool):
        errors["at_location"] = ["must be true or false"]
    elif not travels and not at_location:
        errors["at_location"] = ["travel to clients, receive them at your location, or both"]
    if errors:
        raise Invalid("the service area is invalid", errors)

    area = session.get(ServiceArea, listing.id)
    if area is None:
        area = ServiceArea(listing_id=listing.id)
        session.add(area)
    area.lat, area.lng, area.radius_km = float(lat), float(lng), float(radius_km)
    area.travels, area.at_location = travels, at_location
    area.updated_at = now
    settle(session, emit, listing, listing.status, now)
    return area_view(area)
