"""Tables of the professional's shop window: catalog, profiles, listings, search, reviews.

Also the small read models profiles keeps from booking's events (weekly schedules, completed
bookings), because a service never reads another service's database; owner status from billing
is kept on `models.Account`. Every table works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from loconomics_plumbing.storage import UtcDateTime
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loconomics_profiles.models import Base

ID = String(64)


class JobTitle(Base):
    """A trade in the catalog, seeded (`listed`) or proposed by a professional.

    `listed_slug` is set only while a title is listed, so the unique constraint stops two listed
    titles sharing a slug while several professionals may still propose the same name.
    """

    __tablename__ = "job_titles"
    __table_args__ = (UniqueConstraint("proposed_by", "slug", name="uq_job_titles_proposal"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    listed_slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    proposed_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(ID)


class ProfessionalProfile(Base):
    __tablename__ = "professional_profiles"

    professional_id: Mapped[str] = mapped_column(ID, primary_key=True)
    business_name: Mapped[str | None] = mapped_column(String(120))
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_url: Mapped[str | None] = mapped_column(String(2048))
    slug: Mapped[str | None] = mapped_column(String(40), unique=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Changed, in the same transaction, by any change the public profile shows
    # (`public_profile_stamps`): a copy of the service that kept a rendered profile compares it.
    public_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Credential(Base):
    """A license or certification; only an administrator may mark it verified."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    professional_id: Mapped[str] = mapped_column(ID, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(2))
    expires_on: Mapped[date | None] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    verified_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Listing(Base):
    """One job title offered by one professional; the unique pair is a database invariant."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("professional_id", "job_title_id", name="uq_listings_title"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    professional_id: Mapped[str] = mapped_column(ID, index=True)
    job_title_id: Mapped[str] = mapped_column(ForeignKey("job_titles.id"))
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    cancellation_policy: Mapped[str] = mapped_column(String(16))
    instant_booking: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    rating_avg: Mapped[float] = mapped_column(Float, default=0.0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ListingService(Base):
    """A priced offer on a listing; removed services stay (inactive) for past bookings."""

    __tablename__ = "listing_services"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    pricing_type: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    sessions: Mapped[int | None] = mapped_column(Integer)
    first_time_clients_only: Mapped[bool] = mapped_column(Boolean, default=False)
    visible_to_client_id: Mapped[str | None] = mapped_column(ID)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceArea(Base):
    __tablename__ = "service_areas"

    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float)
    travels: Mapped[bool] = mapped_column(Boolean, default=True)
    at_location: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ListingSearchRow(Base):
    """Denormalised copy of what search filters and ranks on, one row per listing with an area.

    The composite index lets the bounding-box pre-filter run as one index range scan on
    (job title, status, latitude); it also covers every column search reads, so longitude,
    the distance pre-filter and the score inputs come from the index without touching rows.
    """

    __tablename__ = "listing_search"
    __table_args__ = (
        Index("ix_listing_search_box", "job_title_id", "status", "lat", "lng", "radius_km",
              "rating_avg", "review_count", "listing_id", "professional_id"),
    )

    listing_id: Mapped[str] = mapped_column(ID, primary_key=True)
    professional_id: Mapped[str] = mapped_column(ID)
    job_title_id: Mapped[str] = mapped_column(ID)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float)
    rating_avg: Mapped[float] = mapped_column(Float, default=0.0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    travels: Mapped[bool] = mapped_column(Boolean, default=True)
    at_location: Mapped[bool] = mapped_column(Boolean, default=False)


class ProfessionalSchedule(Base):
    """A professional's weekly hours as booking last announced them (`schedule_changed`).

    The listing checklist needs to know that hours exist; search falls back on the hours
    themselves when booking cannot say who has a free slot (see `domain.weekly_hours`).
    """

    __tablename__ = "professional_schedules"

    professional_id: Mapped[str] = mapped_column(ID, primary_key=True)
    has_weekly_hours: Mapped[bool] = mapped_column(Boolean)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    weekly: Mapped[dict[str, list]] = mapped_column(JSON, default=dict)
    advance_notice_hours: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CompletedBooking(Base):
    """A booking booking reported completed: the only thing that opens reviews."""

    __tablename__ = "completed_bookings"

    booking_id: Mapped[str] = mapped_column(ID, primary_key=True)
    client_id: Mapped[str] = mapped_column(ID, index=True)
    professional_id: Mapped[str] = mapped_column(ID, index=True)
    listing_id: Mapped[str | None] = mapped_column(ID)
    job_title_id: Mapped[str | None] = mapped_column(ID)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Review(Base):
    """One side's review of a completed booking; `published_at` stays empty while blind."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("booking_id", "author_role", name="uq_reviews_booking_side"),
        Index("ix_reviews_subject", "subject_id", "author_role", "published_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    booking_id: Mapped[str] = mapped_column(ForeignKey("completed_bookings.booking_id"))
    author_role: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(ID)
    subject_id: Mapped[str] = mapped_column(ID)
    professional_id: Mapped[str] = mapped_column(ID)
    client_id: Mapped[str] = mapped_column(ID)
    listing_id: Mapped[str | None] = mapped_column(ID, index=True)
    job_title_id: Mapped[str | None] = mapped_column(ID)
    ratings: Mapped[dict[str, int]] = mapped_column(JSON)
    rating: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set by a moderator (docs/reports-and-blocks.md): the review leaves every view and rating
    # but keeps its text (and its row, which still blocks a second review of the booking).
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removal_reason: Mapped[str | None] = mapped_column(String(32))
    removal_note: Mapped[str | None] = mapped_column(Text)
    removed_by: Mapped[str | None] = mapped_column(ID)


class ReviewReport(Base):
    """A member's report of a published review, one per member and review, until a moderator
    upholds it (removing the review) or dismisses it."""

    __tablename__ = "review_reports"
    __table_args__ = (
        UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_reporter"),
        Index("ix_review_reports_queue", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"))
    reporter_id: Mapped[str] = mapped_column(ID, index=True)
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(ID)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class ProfileReport(Base):
    """A member's report of a professional's profile (docs/suspensions.md), open until a
    moderator dismisses it or suspends the professional (which upholds it). One open report per
    member and professional (the partial unique index): a profile changes over time, so a
    member may report it again once their earlier report is resolved."""

    __tablename__ = "profile_reports"
    __table_args__ = (
        Index(
            "uq_profile_reports_open",
            "professional_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_profile_reports_queue", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    professional_id: Mapped[str] = mapped_column(ID, index=True)
    reporter_id: Mapped[str] = mapped_column(ID, index=True)
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(ID)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class ProfessionalRating(Base):
    """Published client reviews across all of a professional's listings."""

    __tablename__ = "professional_ratings"

    professional_id: Mapped[str] = mapped_column(ID, primary_key=True)
    rating_avg: Mapped[float] = mapped_column(Float, default=0.0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)


# The hook that restamps a public profile when anything it shows changes; it needs the classes
# above, and every session that writes them must have it.
from loconomics_profiles import public_profile_stamps  # noqa: E402, F401
