"""A member's copy of what profiles keeps about them (docs/data-export.md).

Data-protection law gives a member the right to see and take away what the cooperative keeps
about them. profiles answers first, because it checks the password again: an access token
taken from a phone must not be enough to carry off a member's history. A right password
announces the copy (`data_export_requested`, so the member is told by email, as after a
password change); a wrong one changes and announces nothing.

Every record is built here field by field (and dumped by a schema per section), so a new
column never reaches the copy by accident. Secrets stay out (the password hash, refresh and
link token hashes): a record says one exists instead. Another member's data appears only as
the member sees it in the app: the other party of a review by account id and name, and a
review about the member only once it is published (a blind review is not theirs to read yet)
and while a moderator has not removed it. The reports a member made are theirs (without who
decided them); reports about the member's reviews or profile are not: they would tell who
reported them. The member's suspensions are theirs, without who decided them.

`SECTIONS_BY_TABLE` and `NOTHING_TO_SHOW` name every table of the database, so a new table cannot
be forgotten (a unit test compares them with the metadata).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from loconomics_plumbing.member_data import member_data_part
from loconomics_plumbing.storage import OUTBOX, PROCESSED
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, EmailConfirmation, LoginSession, PasswordReset
from ..shop_models import (
    Credential,
    JobTitle,
    Listing,
    ListingService,
    ProfessionalProfile,
    ProfileReport,
    Review,
    ReviewReport,
    ServiceArea,
)
from . import accounts, profile_reports, review_reports, suspensions
from . import reviews as reviews_domain

Emit = Callable[[str, dict], object]

SERVICE = "profiles"

ABOUT: dict[str, str] = {
    "account": (
        "Your account: how you sign in, the name other members see, your language and roles, "
        "and your ownership status as billing reported it. Your password is kept only as a "
        "hash, which is not shown."
    ),
    "log_ins": (
        "Each time you logged in: when, when it was last refreshed, when it expires or was "
        "ended. Kept so you stay signed in and a stolen token can be stopped; the refresh "
        "tokens (kept only as hashes) are not shown."
    ),
    "password_resets": (
        "Password reset links sent to you: when asked, until when valid, and when used or "
        "superseded. Kept so a link works once; the tokens (kept only as hashes) are not shown."
    ),
    "email_confirmations": (
        "Links sent to confirm an email address, or to undo an address change: the address "
        "each went to, when, and when used. The tokens (kept only as hashes) are not shown."
    ),
    "professional_profile": (
        "Your professional profile as clients see it (business name, bio, photo, web address, "
        "languages)."
    ),
    "credentials": (
        "Licenses and certifications you added, and whether the cooperative verified them."
    ),
    "service_areas": "Where each of your listings works: the centre and radius clients search.",
    "listings": (
        "Your listings, deleted ones included (kept for past bookings and reviews), with every "
        "service and price they offer or offered; money in cents with its currency."
    ),
    "job_title_proposals": ("Job titles you proposed for the catalog, and what became of them."),
    "reviews_written": (
        "Reviews you wrote after a completed booking, with the other party's answer; one not "
        "yet published is still blind to them. A review the moderators removed keeps its text "
        "here, with when and why it was removed; nobody else sees it any more."
    ),
    "reviews_received": (
        "Published reviews of you, with your answers. A review still blind (until both sides "
        "wrote or 7 days passed) is not shown until it is published, as in the app, and one "
        "the moderators removed is not shown either."
    ),
    "review_reports": (
        "Reviews you reported to the moderators: why, in your words, and what they decided. "
        "Kept as the moderators' record of what was reported and answered."
    ),
    "profile_reports": (
        "Professionals' profiles you reported to the moderators: why, in your words, what they "
        "decided and the note they sent you. Kept as the moderators' record of what was "
        "reported and answered."
    ),
    "suspensions": (
        "Times the moderators suspended your account: why, their note to you, when, and when "
        "and with what note it was lifted. Kept as the record of the cooperative's decisions."
    ),
}
"""Every section profiles answers, in the order it answers them."""

SECTIONS = tuple(ABOUT)

SECTIONS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "accounts": ("account",),
    "account_roles": ("account",),
    "login_sessions": ("log_ins",),
    "password_resets": ("password_resets",),
    "email_confirmations": ("email_confirmations",),
    "professional_profiles": ("professional_profile",),
    "credentials": ("credentials",),
    "service_areas": ("service_areas",),
    "listings": ("listings",),
    "listing_services": ("listings",),
    "job_titles": ("job_title_proposals",),  # the rest is the catalog everyone shares
    "reviews": ("reviews_written", "reviews_received"),
    "review_reports": ("review_reports",),  # the reports the member made, not those about them
    "profile_reports": ("profile_reports",),  # the same: reports about the member are not theirs
    "suspensions": ("suspensions",),
}
"""The tables holding something of a member's, and the sections they feed."""

NOTHING_TO_SHOW: dict[str, str] = {
    "listing_search": (
        "A derived search index rebuilt from listings, service areas and ratings: nothing in "
        "it that `listings` and `service_areas` do not show."
    ),
    "professional_schedules": (
        "A copy of the weekly hours booking keeps and announces (`schedule_changed`); "
        "booking's part shows them in its `schedule` section."
    ),
    "completed_bookings": (
        "A copy of booking's `booking_completed` facts (booking, client, professional, "
        "listing, when), kept only to open reviews; booking's part shows those bookings in "
        "full, and each review here names its booking."
    ),
    "professional_ratings": (
        "A professional's average rating, derived from the published client reviews in "
        "`reviews_received`; each listing's own average is in `listings`."
    ),
    OUTBOX: (
        "Events on their way to the other services (kept a week once sent, for redelivery): "
        "a transport copy of changes the sections above show."
    ),
    PROCESSED: "Event ids already handled, so a redelivered event is applied once.",
}
"""The tables holding nothing of a member's to show, and why."""


def export_member_data(
    session: Session,
    emit: Emit,
    *,
    account_id: str,
    current_password: str,
    now: datetime,
) -> dict:
    """profiles' part of the member's copy: every section, `records: []` when they have none.

    Refused with nothing announced: a closed account (`Unauthorized`, as for everything else it
    could ask) and a wrong password (`Invalid`, `errors.current_password`).
    """
    account = accounts.current_account(session, account_id)
    accounts.confirm_current_password(account, current_password)
    records = {
        "account": [_account(account)],
        "log_ins": _log_ins(session, account.id),
        "password_resets": _password_resets(session, account.id),
        "email_confirmations": _email_confirmations(session, account.id),
        "professional_profile": _professional_profile(session, account.id),
        "credentials": _credentials(session, account.id),
        "service_areas": _service_areas(session, account.id),
        "listings": _listings(session, account.id),
        "job_title_proposals": _job_title_proposals(session, account.id),
        "reviews_written": _reviews_written(session, account.id),
        "reviews_received": _reviews_received(session, account.id),
        "review_reports": _review_reports(session, account.id),
        "profile_reports": _profile_reports(session, account.id),
        "suspensions": [
            suspensions.member_view(row) for row in suspensions.suspensions_of(session, account.id)
        ],
    }
    emit("data_export_requested", {"account_id": account.id, "requested_at": now.isoformat()})
    return member_data_part(SERVICE, ABOUT, records)


def _account(account: Account) -> dict:
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "language": account.language,
        "roles": account.roles,
        "owner_status": account.owner_status,
        "owner_status_changed_at": account.owner_status_changed_at,
        "created_at": account.created_at,
        "email_confirmed": account.email_confirmed,
        "email_confirmed_at": account.email_confirmed_at,
        "password_set": bool(account.password_hash),
    }


def _log_ins(session: Session, account_id: str) -> list[dict]:
    """One record per log-in: a log-in is a family of rows, one per refresh token it had."""
    families: dict[str, list[LoginSession]] = {}
    for row in session.scalars(
        select(LoginSession)
        .where(LoginSession.account_id == account_id)
        .order_by(LoginSession.created_at, LoginSession.id)
    ):
        families.setdefault(row.family_id, []).append(row)
    records = []
    for family_id, rows in families.items():
        current = next((row for row in reversed(rows) if row.replaced_by is None), rows[-1])
        records.append(
            {
                "id": family_id,
                "created_at": rows[0].created_at,
                "last_used_at": current.created_at,
                "refreshes": len(rows) - 1,
                "expires_at": current.expires_at,
                "revoked_at": current.revoked_at,
            }
        )
    return records


def _password_resets(session: Session, account_id: str) -> list[dict]:
    links = session.scalars(
        select(PasswordReset)
        .where(PasswordReset.account_id == account_id)
        .order_by(PasswordReset.created_at, PasswordReset.id)
    )
    return [
        {
            "id": link.id,
            "requested_at": link.created_at,
            "expires_at": link.expires_at,
            "used_at": link.used_at,
        }
        for link in links
    ]


def _email_confirmations(session: Session, account_id: str) -> list[dict]:
    links = session.scalars(
        select(EmailConfirmation)
        .where(EmailConfirmation.account_id == account_id)
        .order_by(EmailConfirmation.created_at, EmailConfirmation.id)
    )
    return [
        {
            "id": link.id,
            "purpose": link.purpose,
            "email": link.email,
            "requested_at": link.created_at,
            "expires_at": link.expires_at,
            "used_at": link.used_at,
        }
        for link in links
    ]


def _professional_profile(session: Session, account_id: str) -> list[dict]:
    """The public stamp (a cache key of the service's) is not the member's."""
    profile = session.get(ProfessionalProfile, account_id)
    if profile is None:
        return []
    return [
        {
            "business_name": profile.business_name,
            "bio": profile.bio,
            "photo_url": profile.photo_url,
            "slug": profile.slug,
            "languages": list(profile.languages),
            "created_at": profile.created_at,
            "updated_at": profile.updated_at,
        }
    ]


def _credentials(session: Session, account_id: str) -> list[dict]:
    """Which administrator verified a credential is not shown in the app, so not here."""
    credentials = session.scalars(
        select(Credential)
        .where(Credential.professional_id == account_id)
        .order_by(Credential.created_at, Credential.id)
    )
    return [
        {
            "id": credential.id,
            "kind": credential.kind,
            "name": credential.name,
            "number": credential.number,
            "issuer": credential.issuer,
            "state": credential.state,
            "expires_on": credential.expires_on,
            "verified": credential.verified,
            "verified_at": credential.verified_at,
            "created_at": credential.created_at,
            "updated_at": credential.updated_at,
        }
        for credential in credentials
    ]


def _own_listings(session: Session, account_id: str) -> list[Listing]:
    return list(
        session.scalars(
            select(Listing)
            .where(Listing.professional_id == account_id)
            .order_by(Listing.created_at, Listing.id)
        )
    )


def _service_areas(session: Session, account_id: str) -> list[dict]:
    areas = session.scalars(
        select(ServiceArea)
        .join(Listing, Listing.id == ServiceArea.listing_id)
        .where(Listing.professional_id == account_id)
        .order_by(Listing.created_at, Listing.id)
    )
    return [
        {
            "listing_id": area.listing_id,
            "lat": area.lat,
            "lng": area.lng,
            "radius_km": area.radius_km,
            "travels": area.travels,
            "at_location": area.at_location,
            "updated_at": area.updated_at,
        }
        for area in areas
    ]


def _listings(session: Session, account_id: str) -> list[dict]:
    listings = _own_listings(session, account_id)
    services: dict[str, list[dict]] = {listing.id: [] for listing in listings}
    for service in session.scalars(
        select(ListingService)
        .where(ListingService.listing_id.in_(list(services)))
        .order_by(ListingService.created_at, ListingService.id)
    ):
        services[service.listing_id].append(_service(service))
    titles = _job_title_names(session, {listing.job_title_id for listing in listings})
    return [
        {
            "id": listing.id,
            "job_title_id": listing.job_title_id,
            "job_title_name": titles.get(listing.job_title_id),
            "intro": listing.intro,
            "status": listing.status,
            "cancellation_policy": listing.cancellation_policy,
            "instant_booking": listing.instant_booking,
            "rating_avg": listing.rating_avg,
            "review_count": listing.review_count,
            "version": listing.version,
            "created_at": listing.created_at,
            "updated_at": listing.updated_at,
            "published_at": listing.published_at,
            "services": services[listing.id],
        }
        for listing in listings
    ]


def _service(service: ListingService) -> dict:
    return {
        "id": service.id,
        "name": service.name,
        "description": service.description,
        "pricing_type": service.pricing_type,
        "amount_cents": service.amount_cents,
        "currency": service.currency,
        "duration_minutes": service.duration_minutes,
        "sessions": service.sessions,
        "first_time_clients_only": service.first_time_clients_only,
        "visible_to_client_id": service.visible_to_client_id,
        "active": service.active,
        "created_at": service.created_at,
        "updated_at": service.updated_at,
    }


def _job_title_names(session: Session, job_title_ids: set[str]) -> dict[str, str]:
    if not job_title_ids:
        return {}
    rows = session.execute(
        select(JobTitle.id, JobTitle.name).where(JobTitle.id.in_(sorted(job_title_ids)))
    )
    return {row.id: row.name for row in rows}


def _job_title_proposals(session: Session, account_id: str) -> list[dict]:
    """Which administrator decided is not shown in the app, so not here."""
    titles = session.scalars(
        select(JobTitle)
        .where(JobTitle.proposed_by == account_id)
        .order_by(JobTitle.created_at, JobTitle.id)
    )
    return [
        {
            "id": title.id,
            "name": title.name,
            "slug": title.slug,
            "category": title.category,
            "aliases": list(title.aliases),
            "status": title.status,
            "proposed_at": title.created_at,
            "decided_at": title.decided_at,
        }
        for title in titles
    ]


def _reviews_written(session: Session, account_id: str) -> list[dict]:
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.author_id == account_id)
            .order_by(Review.created_at, Review.id)
        )
    )
    names = _names(session, (review.subject_id for review in reviews))
    return [
        {
            **_review(review, review.subject_id, names),
            "removed_at": review.removed_at,
            "removal_reason": review.removal_reason,
            "removal_note": review.removal_note,
        }
        for review in reviews
    ]


def _reviews_received(session: Session, account_id: str) -> list[dict]:
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.subject_id == account_id, reviews_domain.SHOWN)
            .order_by(Review.created_at, Review.id)
        )
    )
    names = _names(session, (review.author_id for review in reviews))
    return [_review(review, review.author_id, names) for review in reviews]


def _names(session: Session, account_ids: Iterable[str]) -> dict[str, str]:
    """The name each account shows in the app (`Former member` once closed)."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Account.id, Account.name).where(Account.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def _review(review: Review, other_party_id: str, names: dict[str, str]) -> dict:
    return {
        "id": review.id,
        "booking_id": review.booking_id,
        "author_role": review.author_role,
        "other_party": {"account_id": other_party_id, "name": names.get(other_party_id)},
        "listing_id": review.listing_id,
        "job_title_id": review.job_title_id,
        "ratings": dict(review.ratings),
        "rating": review.rating,
        "text": review.text,
        "created_at": review.created_at,
        "published_at": review.published_at,
        "reply_text": review.reply_text,
        "replied_at": review.replied_at,
    }


def _review_reports(session: Session, account_id: str) -> list[dict]:
    """As the reporter sees them: which moderator decided is not shown in the app, so not here."""
    reports = session.scalars(
        select(ReviewReport)
        .where(ReviewReport.reporter_id == account_id)
        .order_by(ReviewReport.created_at, ReviewReport.id)
    )
    return [review_reports.report_view(report) for report in reports]


def _profile_reports(session: Session, account_id: str) -> list[dict]:
    """As the reporter sees them, with the dismissal's note they were sent; which moderator
    decided is not shown. Reports of the member's own profile are not theirs: they would tell
    who reported them."""
    reports = session.scalars(
        select(ProfileReport)
        .where(ProfileReport.reporter_id == account_id)
        .order_by(ProfileReport.created_at, ProfileReport.id)
    )
    return [
        {**profile_reports.report_view(report), "resolution_note": report.resolution_note}
        for report in reports
    ]
