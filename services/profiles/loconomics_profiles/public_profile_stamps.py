"""A new stamp on a professional's public profile whenever something it shows changes.

The public profile (`GET /professionals/{id}`) shows the profile, its rating, credentials, the
listings with their service areas and services. Any flush that adds, changes or deletes one of
those rows gives the professional's `ProfessionalProfile.public_stamp` a new random value in
the same flush, so in the same transaction: a copy of the service that kept a rendered profile
(`domain.public_profiles.PublicProfiles`) sees on its next read that it is stale, whichever
copy made the change. Every write to these tables goes through the ORM; a bulk `update()` or
raw SQL on them would not be seen, and must restamp itself.

Registered on SQLAlchemy's `Session` class when this module is imported (by `shop_models`), so
no session that writes these tables can miss it.
"""

from __future__ import annotations

import uuid
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from loconomics_profiles.shop_models import (
    Credential,
    Listing,
    ListingService,
    ProfessionalProfile,
    ProfessionalRating,
    ServiceArea,
)

OF_A_PROFESSIONAL = (ProfessionalProfile, ProfessionalRating, Credential, Listing)
OF_A_LISTING = (ListingService, ServiceArea)


def new_stamp() -> str:
    return uuid.uuid4().hex


def professionals_changed(session: Session) -> set[str]:
    """The professionals whose public profile this flush changes."""
    professionals: set[str] = set()
    listing_ids: set[str] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, OF_A_PROFESSIONAL):
            professionals.add(row.professional_id)
        elif isinstance(row, OF_A_LISTING):
            listing_ids.add(row.listing_id)
    for listing_id in listing_ids:
        listing = session.get(Listing, listing_id)
        if listing is not None:
            professionals.add(listing.professional_id)
    professionals.discard(None)
    return professionals


@event.listens_for(Session, "before_flush")
def restamp_public_profiles(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for professional_id in professionals_changed(session):
            profile = session.get(ProfessionalProfile, professional_id)
            if profile is not None and profile not in session.deleted:
                profile.public_stamp = new_stamp()
