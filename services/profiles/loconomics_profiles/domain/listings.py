"""Listings: one job title offered by one professional, and when it may be booked.

Status is partly the professional's choice and partly a fact:

    incomplete  the checklist does not hold (set by the system, never chosen)
    off         complete but hidden by the professional
    on          published: searchable and bookable
    deleted     gone; the row stays so past bookings and reviews keep their listing

Checklist for `on`: at least one active service open to every client that is not only an
add-on, a service area, weekly hours known from booking's `schedule_changed`, and a bio.

Owner rules: only a member whose owner status is `active` may offer instant booking or a policy
other than `flexible`; when they lapse their listings fall back to those defaults. The free plan
holds one listing: a second one needs owner status `trial` or `active` (listings created while
an owner are kept, unchanged, if they lapse).

Booking learns about listings only from the events, so every event carries the whole bookable
state and a `version` that grows on every change; a consumer keeps the highest it has seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden, Invalid, NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loconomics_profiles.domain.catalog import usable_title
from loconomics_profiles.domain.pricing import money
from loconomics_profiles.domain.search import index_listing
from loconomics_profiles.models import Account
from loconomics_profiles.shop_models import (
    Listing,
    ListingService,
    ProfessionalProfile,
    ProfessionalSchedule,
    ServiceArea,
)

Emit = Callable[[str, dict], None]

INCOMPLETE, ON, OFF, DELETED = "incomplete", "on", "off", "deleted"
STATUSES = (INCOMPLETE, ON, OFF, DELETED)
POLICIES = ("flexible", "moderate", "strict")
DEFAULT_POLICY = "flexible"
ACTIVE_OWNER = "active"
MULTI_LISTING_STATUSES = frozenset({"trial", "active"})
MAX_INTRO = 2000
EDITABLE = ("intro", "cancellation_policy", "instant_booking", "status")

CHECKLIST_MESSAGES = {
    "services": "add at least one service open to every client (an add-on alone is not enough)",
    "service_area": "set a service area",
    "schedule": "set your weekly hours in your schedule",
    "bio": "write a bio on your profile",
}


def owner_status(session: Session, member_id: str) -> str:
    """Billing's latest word, kept on the account (`accounts.apply_owner_status`)."""
    account = session.get(Account, member_id)
    return account.owner_status if account else "not_yet_owner"


def active_services(session: Session, listing_id: str) -> list[ListingService]:
    return list(session.scalars(
        select(ListingService)
        .where(ListingService.listing_id == listing_id, ListingService.active.is_(True))
        .order_by(ListingService.created_at, ListingService.id)
    ))


def missing_items(session: Session, listing: Listing) -> list[str]:
    """The checklist items that do not hold yet, in a fixed order."""
    missing = []
    if not any(s.visible_to_client_id is None and s.pricing_type != "addon"
               for s in active_services(session, listing.id)):
        missing.append("services")
    if session.get(ServiceArea, listing.id) is None:
        missing.append("service_area")
    schedule = session.get(ProfessionalSchedule, listing.professional_id)
    if schedule is None or not schedule.has_weekly_hours:
        missing.append("schedule")
    profile = session.get(ProfessionalProfile, listing.professional_id)
    if profile is None or not profile.bio.strip():
        missing.append("bio")
    return missing


def _not_ready(missing: list[str], detail: str) -> Invalid:
    return Invalid(
        f"{detail}: missing {', '.join(missing)}",
        {item: [CHECKLIST_MESSAGES[item]] for item in missing},
    )


def service_view(service: ListingService) -> dict:
    return {
        "id": service.id,
        "listing_id": service.listing_id,
        "name": service.name,
        "description": service.description,
        "pricing_type": service.pricing_type,
        "price": money(service.amount_cents, service.currency),
        "duration_minutes": service.duration_minutes,
        "sessions": service.sessions,
        "first_time_clients_only": service.first_time_clients_only,
        "visible_to_client_id": service.visible_to_client_id,
        "active": service.active,
    }


def area_view(area: ServiceArea | None) -> dict | None:
    if area is None:
        return None
    return {"lat": area.lat, "lng": area.lng, "radius_km": area.radius_km,
            "travels": area.travels, "at_location": area.at_location}


def listing_payload(session: Session, listing: Listing) -> dict:
    """Everything booking (and search consumers) need, in every listing event."""
    return {
        "listing_id": listing.id,
        "professional_id": listing.professional_id,
        "job_title_id": listing.job_title_id,
        "status": listing.status,
        "cancellation_policy": listing.cancellation_policy,
        "instant_booking": listing.instant_booking,
        "version": listing.version,
        "services": [
            {
                "service_id": s.id,
                "name": s.name,
                "pricing_type": s.pricing_type,
                "price": money(s.amount_cents, s.currency),
                "duration_minutes": s.duration_minutes,
                "sessions": s.sessions,
                "first_time_clients_only": s.first_time_clients_only,
                "visible_to_client_id": s.visible_to_client_id,
            }
            for s in active_services(session, listing.id)
        ],
        "service_area": area_view(session.get(ServiceArea, listing.id)),
    }


def listing_view(session: Session, listing: Listing, viewer_id: str | None = None,
                 owner: bool = True) -> dict:
    """The listing as its owner sees it, or (owner=False) as `viewer_id` may see it."""
    services = [
        service_view(s) for s in active_services(session, listing.id)
        if owner or s.visible_to_client_id is None or s.visible_to_client_id == viewer_id
    ]
    view = {
        "id": listing.id,
        "professional_id": listing.professional_id,
        "job_title_id": listing.job_title_id,
        "intro": listing.intro,
        "status": listing.status,
        "cancellation_policy": listing.cancellation_policy,
        "instant_booking": listing.instant_booking,
        "rating_avg": listing.rating_avg,
        "review_count": listing.review_count,
        "services": services,
        "service_area": area_view(session.get(ServiceArea, listing.id)),
        "version": listing.version,
    }
    if owner:
        view["missing"] = missing_items(session, listing)
    return view


def settle(session: Session, emit: Emit, listing: Listing, was: str, now: datetime,
           strict: bool = True) -> None:
    """Record a change: re-check the checklist, bump the version, reindex, announce.

    `strict` is for changes a professional asks for: breaking the checklist of a listing that
    is on is refused (turn it off first). Facts arriving by event (weekly hours removed) cannot
    be refused, so then the listing drops to `incomplete` and is withdrawn.
    """
    if listing.status != DELETED:
        missing = missing_items(session, listing)
        if listing.status == ON and missing:
            if strict:
                raise _not_ready(missing, "this change would leave the listing incomplete; "
                                          "turn it off first")
            listing.status = INCOMPLETE
        elif listing.status in (INCOMPLETE, OFF):
            listing.status = INCOMPLETE if missing else OFF
    listing.version += 1
    listing.updated_at = now
    session.flush()
    index_listing(session, listing)
    if listing.status == ON and was != ON:
        listing.published_at = now
        emit("listing_published", listing_payload(session, listing))
    elif listing.status == ON:
        emit("listing_changed", listing_payload(session, listing))
    elif was == ON:
        emit("listing_removed", listing_payload(session, listing))


def own_listing(session: Session, caller: Caller, listing_id: str) -> Listing:
    """A listing of the calling professional; anybody else's is reported as unknown."""
    user_id = caller.require_role("professional")
    listing = session.get(Listing, listing_id)
    if listing is None or listing.professional_id != user_id or listing.status == DELETED:
        raise NotFound("no such listing")
    return listing


def _check_terms(session: Session, member_id: str, changes: Mapping[str, object]) -> None:
    errors: dict[str, list[str]] = {}
    if "intro" in changes:
        intro = changes["intro"]
        if not isinstance(intro, str) or len(intro) > MAX_INTRO:
            errors["intro"] = [f"at most {MAX_INTRO} characters"]
    if "cancellation_policy" in changes and changes["cancellation_policy"] not in POLICIES:
        errors["cancellation_policy"] = [f"must be one of: {', '.join(POLICIES)}"]
    if "instant_booking" in changes and not isinstance(changes["instant_booking"], bool):
        errors["instant_booking"] = ["must be true or false"]
    if "status" in changes and changes["status"] not in (ON, OFF):
        errors["status"] = ["must be on or off (delete the listing to remove it)"]
    if errors:
        raise Invalid("the listing is invalid", errors)

    owner_only: dict[str, list[str]] = {}
    if changes.get("instant_booking") is True:
        owner_only["instant_booking"] = ["instant booking is for owners in good standing"]
    if changes.get("cancellation_policy", DEFAULT_POLICY) != DEFAULT_POLICY:
        owner_only["cancellation_policy"] = [
            "only owners in good standing may choose a policy other than flexible"
        ]
    if owner_only and owner_status(session, member_id) != ACTIVE_OWNER:
        raise Forbidden("these options need owner status active", owner_only)


def create_listing(session: Session, emit: Emit, caller: Caller, job_title_id: str,
                   now: datetime, intro: str = "", cancellation_policy: str = DEFAULT_POLICY,
                   instant_booking: bool = False) -> dict:
    """Open a listing for a job title; it starts `incomplete` (or `off` if already complete).

    Re-creating a deleted listing for the same title revives that row, services included, so
    the (professional, job title) pair stays unique in the database.
    """
    user_id = caller.require_role("professional")
    terms = {"intro": intro, "cancellation_policy": cancellation_policy,
             "instant_booking": instant_booking}
    _check_terms(session, user_id, terms)
    title = usable_title(session, job_title_id, user_id)

    existing = session.scalars(
        select(Listing).where(Listing.professional_id == user_id,
                              Listing.job_title_id == title.id)
    ).first()
    if existing is not None and existing.status != DELETED:
        raise Conflict("you already have a listing for this job title",
                       {"job_title_id": [f"listing {existing.id} already offers it"]})
    held = session.scalar(
        select(func.count()).select_from(Listing)
        .where(Listing.professional_id == user_id, Listing.status != DELETED)
    )
    if held and owner_status(session, user_id) not in MULTI_LISTING_STATUSES:
        raise Forbidden("the free plan includes one listing; become an owner to add more")

    if existing is None:
        listing = Listing(
            id=uuid.uuid4().hex, professional_id=user_id, job_title_id=title.id, version=0,
            rating_avg=0.0, review_count=0, created_at=now, **terms,
            status=INCOMPLETE, updated_at=now,
        )
        session.add(listing)
        was = INCOMPLETE
    else:
        listing = existing
        was = DELETED
        for field, value in terms.items():
            setattr(listing, field, value)
        listing.status = INCOMPLETE
    settle(session, emit, listing, was, now)
    return listing_view(session, listing)


def update_listing(session: Session, emit: Emit, caller: Caller, listing_id: str,
                   changes: Mapping[str, object], now: datetime) -> dict:
    """Change intro, policy, instant booking or on/off; turning on names what is missing."""
    listing = own_listing(session, caller, listing_id)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid("unknown fields", {field: ["unknown field"] for field in unknown})
    _check_terms(session, listing.professional_id, changes)
    changed = {k: v for k, v in changes.items() if getattr(listing, k) != v}
    if not changed:
        return listing_view(session, listing)
    if changed.get("status") == ON:
        missing = missing_items(session, listing)
        if missing:
            raise _not_ready(missing, "the listing cannot be turned on")
    was = listing.status
    for field, value in changed.items():
        setattr(listing, field, value)
    settle(session, emit, listing, was, now)
    return listing_view(session, listing)


def delete_listing(session: Session, emit: Emit, caller: Caller, listing_id: str,
                   now: datetime) -> None:
    remove_listing(session, emit, own_listing(session, caller, listing_id), now)


def remove_listing(session: Session, emit: Emit, listing: Listing, now: datetime) -> None:
    """Take a listing away for good: out of search, off the public profile, and booking is
    told (`listing_removed`) if it was on. The row stays for past bookings and reviews."""
    was = listing.status
    listing.status = DELETED
    settle(session, emit, listing, was, now)


def live_listings(session: Session, professional_id: str) -> list[Listing]:
    """A professional's listings that are not deleted, oldest first."""
    return list(session.scalars(
        select(Listing).where(Listing.professional_id == professional_id,
                              Listing.status != DELETED)
        .order_by(Listing.created_at, Listing.id)
    ))


def withdraw_all(session: Session, emit: Emit, professional_id: str, now: datetime) -> None:
    """A closing professional's shop: every listing removed as `delete_listing` removes it,
    then what their listings said about them (intros, service descriptions) and where they
    work from (service areas: often a home) erased, from deleted listings too. Service names
    and prices stay: they are what past bookings bought."""
    for listing in live_listings(session, professional_id):
        remove_listing(session, emit, listing, now)
    every_listing = list(session.scalars(
        select(Listing).where(Listing.professional_id == professional_id)
    ))
    for listing in every_listing:
        listing.intro = ""
        for service in session.scalars(
            select(ListingService).where(ListingService.listing_id == listing.id)
        ):
            service.description = ""
        area = session.get(ServiceArea, listing.id)
        if area is not None:
            session.delete(area)
    session.flush()
    for listing in every_listing:
        index_listing(session, listing)  # without an area: its search row goes


def get_own_listing(session: Session, caller: Caller, listing_id: str) -> dict:
    return listing_view(session, own_listing(session, caller, listing_id))


def list_own_listings(session: Session, caller: Caller) -> list[dict]:
    user_id = caller.require_role("professional")
    return [listing_view(session, listing) for listing in live_listings(session, user_id)]


def refresh_readiness(session: Session, emit: Emit, professional_id: str,
                      now: datetime) -> None:
    """Re-check every listing of a professional after a fact changed outside the listing
    (bio, weekly hours); only listings whose status moves are touched."""
    rows = session.scalars(
        select(Listing).where(Listing.professional_id == professional_id,
                              Listing.status != DELETED)
        .order_by(Listing.id)
    )
    for listing in rows:
        missing = missing_items(session, listing)
        wanted = listing.status
        if listing.status == ON and missing:
            wanted = INCOMPLETE
        elif listing.status in (INCOMPLETE, OFF):
            wanted = INCOMPLETE if missing else OFF
        if wanted != listing.status:
            settle(session, emit, listing, listing.status, now, strict=False)


def fall_back_to_defaults(session: Session, emit: Emit, member_id: str, now: datetime) -> int:
    """When a member stops being an active owner, their owner-only options end: flexible
    policy, no instant booking. Returns how many listings changed."""
    rows = session.scalars(
        select(Listing).where(Listing.professional_id == member_id, Listing.status != DELETED)
        .order_by(Listing.id)
    )
    changed = 0
    for listing in rows:
        if listing.cancellation_policy == DEFAULT_POLICY and not listing.instant_booking:
            continue
        listing.cancellation_policy = DEFAULT_POLICY
        listing.instant_booking = False
        settle(session, emit, listing, listing.status, now, strict=False)
        changed += 1
    return changed
