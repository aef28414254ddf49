"""A professional's public profile: who they are, their address on the site, their credentials.

The custom URL slug is unique by a database constraint (two workers may race for it); the check
before writing only gives the common case a friendly message. Credentials are the professional's
own claims until an administrator verifies them, and any edit by the professional withdraws the
verification, since what was checked is no longer what is shown.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from urllib.parse import urlsplit

from loconomics_plumbing.errors import Conflict, Invalid, NotFound, field_error
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.storage import read_one
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loconomics_profiles.domain.account_standing import not_suspended
from loconomics_profiles.domain.listings import ON, area_view, refresh_readiness, service_view
from loconomics_profiles.shop_models import (
    Credential,
    Listing,
    ListingService,
    ProfessionalProfile,
    ProfessionalRating,
    ServiceArea,
)

Emit = Callable[[str, dict], None]

MAX_BIO = 4000
MAX_LANGUAGES = 20
PROFILE_FIELDS = ("business_name", "bio", "photo_url", "slug", "languages")
CREDENTIAL_FIELDS = ("kind", "name", "number", "issuer", "state", "expires_on")
CREDENTIAL_KINDS = ("license", "certification")

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({
    "about", "account", "accounts", "admin", "api", "app", "blog", "book", "booking", "bookings",
    "calendar", "calendars", "coop", "cooperative", "docs", "help", "healthz", "home", "job-titles",
    "jobs", "login", "logout", "loconomics", "me", "members", "metrics", "new", "openapi",
    "owner", "owners", "plans", "privacy", "pro", "professional", "professionals", "profile",
    "readyz", "root", "search", "settings", "sessions", "signup", "static", "support", "terms",
    "v1", "www",
})
LANGUAGE_PATTERN = re.compile(
    r"^(?P<lang>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?$"
)
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
})


def normalise_language(code: str) -> str | None:
    """A BCP 47 language[-Script][-REGION] tag in its canonical case, or None if malformed."""
    found = LANGUAGE_PATTERN.match(code.strip().lower().replace("_", "-"))
    if not found:
        return None
    parts = [found["lang"]]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    return "-".join(parts)


def slug_problem(slug: str) -> str | None:
    if not 3 <= len(slug) <= 40:
        return "must be 3-40 characters"
    if not SLUG_PATTERN.match(slug):
        return "lowercase letters, digits and single hyphens, starting with a letter"
    if slug in RESERVED_SLUGS:
        return "is reserved"
    return None


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048
            or any(c.isspace() for c in url)):
        return "must be an http or https URL"
    return None


def profile_of(session: Session, professional_id: str, now: datetime) -> ProfessionalProfile:
    profile = session.get(ProfessionalProfile, professional_id)
    if profile is None:
        profile = ProfessionalProfile(
            professional_id=professional_id, business_name=None, bio="", photo_url=None,
            slug=None, languages=[], created_at=now, updated_at=now,
        )
        session.add(profile)
    return profile


def _clean_profile(changes: Mapping[str, object]) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for field in sorted(set(changes) - set(PROFILE_FIELDS)):
        errors[field] = ["unknown field"]
    if "business_name" in changes:
        name = changes["business_name"]
        if name is None:
            cleaned["business_name"] = None
        elif not isinstance(name, str) or not 1 <= len(name.strip()) <= 120:
            errors["business_name"] = ["must be 1-120 characters"]
        else:
            cleaned["business_name"] = name.strip()
    if "bio" in changes:
        bio = changes["bio"]
        if not isinstance(bio, str) or len(bio) > MAX_BIO:
            errors["bio"] = [f"at most {MAX_BIO} characters"]
        else:
            cleaned["bio"] = bio
    if "photo_url" in changes:
        url = changes["photo_url"]
        problem = None if url is None else (
            _url_problem(url) if isinstance(url, str) else "must be an http or https URL"
        )
        if problem:
            errors["photo_url"] = [problem]
        else:
            cleaned["photo_url"] = url
    if "slug" in changes:
        slug = changes["slug"]
        problem = None if slug is None else (
            slug_problem(slug.strip().lower()) if isinstance(slug, str) else "must be text"
        )
        if problem:
            errors["slug"] = [problem]
        else:
            cleaned["slug"] = slug.strip().lower() if slug else None
    if "languages" in changes:
        codes = changes["languages"]
        if not isinstance(codes, list) or len(codes) > MAX_LANGUAGES:
            errors["languages"] = [f"a list of at most {MAX_LANGUAGES} language tags"]
        else:
            tags = [normalise_language(c) if isinstance(c, str) else None for c in codes]
            bad = [str(c) for c, tag in zip(codes, tags, strict=True) if tag is None]
            if bad:
                errors["languages"] = [f"not a language tag (like en or es-MX): {', '.join(bad)}"]
            else:
                cleaned["languages"] = list(dict.fromkeys(tags))
    if errors:
        raise Invalid("the profile is invalid", errors)
    return cleaned


def update_profile(session: Session, emit: Emit, caller: Caller,
                   changes: Mapping[str, object], now: datetime) -> dict:
    """Change any of business name, bio, photo URL, slug, languages (`PATCH /me/profile`)."""
    user_id = caller.require_role("professional")
    cleaned = _clean_profile(changes)
    profile = profile_of(session, user_id, now)
    slug = cleaned.get("slug")
    if slug and slug != profile.slug and session.scalar(
        select(ProfessionalProfile.professional_id).where(ProfessionalProfile.slug == slug)
    ):
        raise Conflict("this address is taken", {"slug": ["already taken"]})
    bio_changed = "bio" in cleaned and cleaned["bio"].strip() != profile.bio.strip()
    for field, value in cleaned.items():
        setattr(profile, field, value)
    profile.updated_at = now
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("this address is taken", {"slug": ["already taken"]}) from exc
    if bio_changed:
        refresh_readiness(session, emit, user_id, now)
    return profile_view(session, profile, now, owner=True)


def erase_profile(session: Session, professional_id: str) -> None:
    """A closing professional's profile goes whole (business name, bio, photo, address on the
    site, languages), and their credentials with it: all of it is about the person, and
    without the row their public profile answers `NotFound` on every copy of the service."""
    for credential in _credentials(session, professional_id):
        session.delete(credential)
    profile = session.get(ProfessionalProfile, professional_id)
    if profile is not None:
        session.delete(profile)


def credential_view(credential: Credential, now: datetime) -> dict:
    return {
        "id": credential.id,
        "kind": credential.kind,
        "name": credential.name,
        "number": credential.number,
        "issuer": credential.issuer,
        "state": credential.state,
        "expires_on": credential.expires_on,
        "expired": bool(credential.expires_on and credential.expires_on < now.date()),
        "verified": credential.verified,
        "verified_at": credential.verified_at,
    }


def _credentials(session: Session, professional_id: str) -> list[Credential]:
    return list(session.scalars(
        select(Credential).where(Credential.professional_id == professional_id)
        .order_by(Credential.created_at, Credential.id)
    ))


def profile_view(session: Session, profile: ProfessionalProfile, now: datetime,
                 owner: bool = False) -> dict:
    view = {
        "professional_id": profile.professional_id,
        "business_name": profile.business_name,
        "bio": profile.bio,
        "photo_url": profile.photo_url,
        "slug": profile.slug,
        "languages": list(profile.languages),
        "credentials": [credential_view(c, now)
                        for c in _credentials(session, profile.professional_id)],
    }
    if owner:
        view["updated_at"] = profile.updated_at
    return view


def my_profile(session: Session, caller: Caller, now: datetime) -> dict:
    user_id = caller.require_role("professional")
    return profile_view(session, profile_of(session, user_id, now), now, owner=True)


def _clean_credential(fields: Mapping[str, object], now: datetime,
                      new_expiry: bool = True) -> dict:
    """The credential as stored; a past expiry is refused only when it is being set, so an
    expired credential can still have its other details corrected."""
    errors: dict[str, list[str]] = {}
    for field in sorted(set(fields) - set(CREDENTIAL_FIELDS)):
        errors[field] = ["unknown field"]
    if fields.get("kind") not in CREDENTIAL_KINDS:
        errors["kind"] = [f"must be one of: {', '.join(CREDENTIAL_KINDS)}"]
    for field, limit in (("name", 120), ("number", 64), ("issuer", 120)):
        value = fields.get(field)
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= limit:
            errors[field] = [f"must be 1-{limit} characters"]
    state = fields.get("state")
    if state is not None and (not isinstance(state, str) or state.upper() not in US_STATES):
        errors["state"] = ["must be a US state or territory code such as CA"]
    expires_on = fields.get("expires_on")
    if expires_on is not None:
        if isinstance(expires_on, str):
            try:
                expires_on = date.fromisoformat(expires_on)
            except ValueError:
                expires_on = None
                errors["expires_on"] = ["must be a date (YYYY-MM-DD)"]
        if isinstance(expires_on, datetime) or (
            expires_on is not None and not isinstance(expires_on, date)
        ):
            errors["expires_on"] = ["must be a date (YYYY-MM-DD)"]
        elif new_expiry and expires_on is not None and expires_on < now.date():
            errors["expires_on"] = ["has already passed"]
    if errors:
        raise Invalid("the credential is invalid", errors)
    return {
        "kind": fields["kind"],
        "name": fields["name"].strip(),
        "number": fields["number"].strip(),
        "issuer": fields["issuer"].strip(),
        "state": state.upper() if state else None,
        "expires_on": expires_on,
    }


def add_credential(session: Session, caller: Caller, fields: Mapping[str, object],
                   now: datetime) -> dict:
    user_id = caller.require_role("professional")
    values = _clean_credential(fields, now)
    profile_of(session, user_id, now)
    credential = Credential(id=uuid.uuid4().hex, professional_id=user_id, verified=False,
                            created_at=now, updated_at=now, **values)
    session.add(credential)
    session.flush()
    return credential_view(credential, now)


def _own_credential(session: Session, caller: Caller, credential_id: str) -> Credential:
    user_id = caller.require_role("professional")
    credential = session.get(Credential, credential_id)
    if credential is None or credential.professional_id != user_id:
        raise NotFound("no such credential")
    return credential


def update_credential(session: Session, caller: Caller, credential_id: str,
                      changes: Mapping[str, object], now: datetime) -> dict:
    """Edit a credential; a verified one becomes unverified if anything shown changes."""
    credential = _own_credential(session, caller, credential_id)
    current = {field: getattr(credential, field) for field in CREDENTIAL_FIELDS}
    values = _clean_credential({**current, **changes}, now, new_expiry="expires_on" in changes)
    if any(getattr(credential, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(credential, field, value)
        credential.verified = False
        credential.verified_at = None
        credential.verified_by = None
        credential.updated_at = now
    return credential_view(credential, now)


def remove_credential(session: Session, caller: Caller, credential_id: str) -> None:
    session.delete(_own_credential(session, caller, credential_id))


def verify_credential(session: Session, caller: Caller, credential_id: str, verified: bool,
                      now: datetime) -> dict:
    """An administrator vouches for (or withdraws) a credential after checking the issuer."""
    admin_id = caller.require_admin()
    if not isinstance(verified, bool):
        raise field_error("verified", "must be true or false")
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound("no such credential")
    credential.verified = verified
    credential.verified_at = now if verified else None
    credential.verified_by = admin_id if verified else None
    credential.updated_at = now
    return credential_view(credential, now)


def public_profile(session: Session, professional: str, viewer: Caller | None,
                   now: datetime) -> dict:
    """`GET /professionals/{id}` by id or custom slug: profile, listings that are on (with the
    services this viewer may see), and the rating over all published client reviews.

    The most read page of the site, so it is read in four queries whatever the number of
    listings (profile with its rating, credentials, listings with their areas, their services),
    built once with bound parameters and read as plain rows rather than ORM objects; the answer
    is what `profile_view` and `listing_view(owner=False)` give (pinned by the tests).
    `public_profiles.PublicProfiles` keeps rendered answers between reads.
    """
    found = find_public_profile(session, professional)
    view, _ = public_profile_of(session, found, viewer.user_id if viewer else None, now)
    return view


def find_public_profile(session: Session, professional: str):
    """The first of the four queries: the profile row with its rating and its public stamp;
    none for a suspended professional (`NotFound`, as for one who never had a profile).

    Read as one statement of its own, outside a transaction while the session has none
    (`read_one`): a read answered from `PublicProfiles` is this query alone, and then costs no
    BEGIN and COMMIT, nor on SQLite the write lock. The rest of the page, when it is built, is
    read after it, so it is never older than the stamp this row carries.
    """
    # Core, not `session.execute`: plain rows either way, and a third of the cost of a read
    # answered from `PublicProfiles` was the ORM's handling of them.
    found = read_one(
        session, _PUBLIC_PROFILE, {"professional": professional, "slug": professional.lower()}
    )
    if found is None:
        raise NotFound("no such professional")
    return found


def public_profile_of(session: Session, found, viewer_id: str | None,
                      now: datetime) -> tuple[dict, bool]:
    """The rest of `public_profile` for a row `find_public_profile` gave; and whether the
    answer is the same for every viewer (no service is offered to one client only)."""
    professional_id = found.professional_id
    connection = session.connection()  # Core, as in `find_public_profile`
    credentials = connection.execute(_PUBLIC_CREDENTIALS, {"professional_id": professional_id})
    listings = connection.execute(_PUBLIC_LISTINGS, {"professional_id": professional_id}).all()
    services: dict[str, list[dict]] = {listing.id: [] for listing in listings}
    same_for_everyone = True
    if listings:
        for service in connection.execute(_PUBLIC_SERVICES, {"listing_ids": list(services)}):
            if service.visible_to_client_id is not None:
                same_for_everyone = False
            if service.visible_to_client_id is None or service.visible_to_client_id == viewer_id:
                services[service.listing_id].append(service_view(service))
    view = {
        "professional_id": professional_id,
        "business_name": found.business_name,
        "bio": found.bio,
        "photo_url": found.photo_url,
        "slug": found.slug,
        "languages": list(found.languages),
        "credentials": [credential_view(c, now) for c in credentials],
        "listings": [_public_listing_view(listing, services[listing.id]) for listing in listings],
        "rating": {
            "rating_avg": found.rating_avg if found.rated is not None else 0.0,
            "review_count": found.review_count if found.rated is not None else 0,
        },
    }
    return view, same_for_everyone


_PUBLIC_PROFILE = (
    select(
        ProfessionalProfile.professional_id, ProfessionalProfile.business_name,
        ProfessionalProfile.bio, ProfessionalProfile.photo_url, ProfessionalProfile.slug,
        ProfessionalProfile.languages, ProfessionalProfile.public_stamp,
        ProfessionalRating.professional_id.label("rated"),
        ProfessionalRating.rating_avg, ProfessionalRating.review_count,
    )
    .outerjoin(ProfessionalRating,
               ProfessionalRating.professional_id == ProfessionalProfile.professional_id)
    .where(or_(ProfessionalProfile.professional_id == bindparam("professional"),
               ProfessionalProfile.slug == bindparam("slug")),
           # a suspended professional has no public profile while it lasts (nor its listings)
           not_suspended(ProfessionalProfile.professional_id))
)
_PUBLIC_CREDENTIALS = (
    select(
        Credential.id, Credential.kind, Credential.name, Credential.number, Credential.issuer,
        Credential.state, Credential.expires_on, Credential.verified, Credential.verified_at,
    )
    .where(Credential.professional_id == bindparam("professional_id"))
    .order_by(Credential.created_at, Credential.id)
)
_PUBLIC_LISTINGS = (
    select(
        Listing.id, Listing.professional_id, Listing.job_title_id, Listing.intro,
        Listing.status, Listing.cancellation_policy, Listing.instant_booking,
        Listing.rating_avg, Listing.review_count, Listing.version,
        ServiceArea.listing_id.label("area_listing_id"), ServiceArea.lat, ServiceArea.lng,
        ServiceArea.radius_km, ServiceArea.travels, ServiceArea.at_location,
    )
    .outerjoin(ServiceArea, ServiceArea.listing_id == Listing.id)
    .where(Listing.professional_id == bindparam("professional_id"), Listing.status == ON)
    .order_by(Listing.created_at, Listing.id)
)
_PUBLIC_SERVICES = (
    select(
        ListingService.id, ListingService.listing_id, ListingService.name,
        ListingService.description, ListingService.pricing_type, ListingService.amount_cents,
        ListingService.currency, ListingService.duration_minutes, ListingService.sessions,
        ListingService.first_time_clients_only, ListingService.visible_to_client_id,
        ListingService.active,
    )
    .where(ListingService.listing_id.in_(bindparam("listing_ids", expanding=True)),
           ListingService.active.is_(True))
    .order_by(ListingService.created_at, ListingService.id)
)


def _public_listing_view(row, services: list[dict]) -> dict:
    """`listing_view(owner=False)` of a listing row joined with its area."""
    return {
        "id": row.id,
        "professional_id": row.professional_id,
        "job_title_id": row.job_title_id,
        "intro": row.intro,
        "status": row.status,
        "cancellation_policy": row.cancellation_policy,
        "instant_booking": row.instant_booking,
        "rating_avg": row.rating_avg,
        "review_count": row.review_count,
        "services": services,
        "service_area": area_view(row) if row.area_listing_id is not None else None,
        "version": row.version,
    }
