"""Reviews after a completed booking, double-blind.

Only the two people of a booking booking reported completed may review it, once each: the client
rates the job title's criteria, the professional rates the client. Neither sees the other's
review before both are written, so nobody adjusts theirs in retaliation; if only one side
writes, it is published `BLIND_PERIOD` after it was written (by the `publish_due_reviews`
timer), and from then on the other side can no longer review that booking, for the same reason.
Averages count published client reviews only and are recomputed from the reviews on each
publication, so they cannot drift.

A review a moderator removed (`domain.review_reports`) keeps its row and text but leaves every
view, page and rating here, and cannot be replied to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from loconomics_plumbing.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    field_error,
)
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.validation import decode_cursor, encode_cursor
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loconomics_profiles.domain import account_standing
from loconomics_profiles.domain.catalog_data import DEFAULT_CRITERIA
from loconomics_profiles.domain.search import index_listing
from loconomics_profiles.models import Account
from loconomics_profiles.shop_models import (
    CompletedBooking,
    JobTitle,
    Listing,
    ProfessionalRating,
    Review,
    ReviewReport,
)

Emit = Callable[[str, dict], None]

BLIND_PERIOD = timedelta(days=7)
CLIENT, PROFESSIONAL = "client", "professional"
CLIENT_CRITERIA = ("communication", "punctuality", "respect")
MAX_TEXT = 4000
DEFAULT_PAGE, MAX_PAGE = 20, 50


def record_completed_booking(session: Session, booking_id: str, client_id: str,
                             professional_id: str, completed_at: datetime,
                             listing_id: str | None = None,
                             job_title_id: str | None = None) -> bool:
    """Apply booking's `booking_completed`; a repeat is ignored. Fills whichever of listing
    and job title the event lacks from the other, so the review lands on the right listing."""
    if session.get(CompletedBooking, booking_id) is not None:
        return False
    if listing_id and not job_title_id:
        listing = session.get(Listing, listing_id)
        job_title_id = listing.job_title_id if listing else None
    elif job_title_id and not listing_id:
        listing_id = session.scalar(
            select(Listing.id).where(Listing.professional_id == professional_id,
                                     Listing.job_title_id == job_title_id)
        )
    session.add(CompletedBooking(
        booking_id=booking_id, client_id=client_id, professional_id=professional_id,
        listing_id=listing_id, job_title_id=job_title_id, completed_at=completed_at,
    ))
    session.flush()
    return True


def criteria_for(session: Session, booking: CompletedBooking, author_role: str) -> tuple[str, ...]:
    if author_role == PROFESSIONAL:
        return CLIENT_CRITERIA
    title = session.get(JobTitle, booking.job_title_id) if booking.job_title_id else None
    return tuple(title.criteria) if title else DEFAULT_CRITERIA


def _check_review(ratings: object, text: object, criteria: tuple[str, ...]) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(ratings, Mapping):
        errors["ratings"] = [f"rate each of: {', '.join(criteria)}"]
    else:
        for criterion in criteria:
            value = ratings.get(criterion)
            if value is None:
                errors[f"ratings.{criterion}"] = ["required"]
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                errors[f"ratings.{criterion}"] = ["must be a whole number from 1 to 5"]
        for criterion in sorted(set(ratings) - set(criteria)):
            errors[f"ratings.{criterion}"] = [
                f"not a criterion of this review; rate: {', '.join(criteria)}"
            ]
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        errors["text"] = [f"at most {MAX_TEXT} characters"]
    if errors:
        raise Invalid("the review is invalid", errors)


def review_view(review: Review) -> dict:
    return {
        "id": review.id,
        "booking_id": review.booking_id,
        "author_role": review.author_role,
        "author_id": review.author_id,
        "subject_id": review.subject_id,
        "professional_id": review.professional_id,
        "client_id": review.client_id,
        "listing_id": review.listing_id,
        "job_title_id": review.job_title_id,
        "ratings": dict(review.ratings),
        "rating": review.rating,
        "text": review.text,
        "reply_text": review.reply_text,
        "replied_at": review.replied_at,
        "created_at": review.created_at,
        "published_at": review.published_at,
    }


def shown(review: Review) -> bool:
    """Published and not removed by a moderator: what members may see of it."""
    return review.published_at is not None and review.removed_at is None


SHOWN = Review.published_at.is_not(None) & Review.removed_at.is_(None)
"""`shown` as a query condition."""


def refresh_ratings(session: Session, professional_id: str, listing_id: str | None) -> None:
    """Recompute the listing's and the professional's averages from the client reviews shown
    (published, not removed), and reindex the listing for search."""
    published_client = (Review.author_role == CLIENT) & SHOWN
    if listing_id:
        listing = session.get(Listing, listing_id)
        if listing is not None:
            avg, count = session.execute(
                select(func.avg(Review.rating), func.count())
                .where(published_client, Review.listing_id == listing_id)
            ).one()
            listing.rating_avg = float(avg or 0.0)
            listing.review_count = count
            index_listing(session, listing)
    avg, count = session.execute(
        select(func.avg(Review.rating), func.count())
        .where(published_client, Review.subject_id == professional_id)
    ).one()
    rating = session.get(ProfessionalRating, professional_id)
    if rating is None:
        rating = ProfessionalRating(professional_id=professional_id)
        session.add(rating)
    rating.rating_avg = float(avg or 0.0)
    rating.review_count = count


def _publish(session: Session, emit: Emit, reviews: list[Review], now: datetime) -> None:
    for review in reviews:
        review.published_at = now
    session.flush()
    for review in reviews:
        if review.author_role == CLIENT:
            refresh_ratings(session, review.professional_id, review.listing_id)
        emit("review_published", {
            "review_id": review.id,
            "booking_id": review.booking_id,
            "author_role": review.author_role,
            "author_id": review.author_id,
            "subject_id": review.subject_id,
            "professional_id": review.professional_id,
            "client_id": review.client_id,
            "listing_id": review.listing_id,
            "job_title_id": review.job_title_id,
            "ratings": dict(review.ratings),
            "rating": review.rating,
            "text": review.text,
            "published_at": now.isoformat(),
        })


def submit_review(session: Session, emit: Emit, caller: Caller, booking_id: str,
                  ratings: Mapping[str, int], text: str, now: datetime) -> dict:
    """`POST /bookings/{id}/review` by either side; publishes both when the second arrives."""
    if not caller.user_id:
        raise Unauthorized("sign in to review")
    booking = session.get(CompletedBooking, booking_id)
    if booking is None:
        raise NotFound("no completed booking with this id")
    if caller.user_id == booking.client_id:
        role = CLIENT
        subject = booking.professional_id
    elif caller.user_id == booking.professional_id:
        role = PROFESSIONAL
        subject = booking.client_id
    else:
        raise Forbidden("only the client and the professional of a booking may review it")
    if role == CLIENT and _closed(session, subject):
        raise Conflict("this professional has closed their account")
    _check_review(ratings, text, criteria_for(session, booking, role))

    sides = {r.author_role: r for r in session.scalars(
        select(Review).where(Review.booking_id == booking_id)
    )}
    if role in sides:
        raise Conflict("you already reviewed this booking")
    other = sides.get(PROFESSIONAL if role == CLIENT else CLIENT)
    if other is not None and other.published_at is not None:
        raise Conflict("the review period for this booking has closed")

    review = Review(
        id=uuid.uuid4().hex, booking_id=booking_id, author_role=role, author_id=caller.user_id,
        subject_id=subject, professional_id=booking.professional_id, client_id=booking.client_id,
        listing_id=booking.listing_id, job_title_id=booking.job_title_id,
        ratings=dict(ratings), rating=sum(ratings.values()) / len(ratings), text=text,
        created_at=now, published_at=None,
    )
    session.add(review)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("you already reviewed this booking") from exc
    if other is not None:
        _publish(session, emit, [other, review], now)
    return review_view(review)


def _closed(session: Session, account_id: str) -> bool:
    account = session.get(Account, account_id)
    return account is not None and account.closed_at is not None


def forget_reviews_of_professional(session: Session, professional_id: str) -> None:
    """A closed professional's reviews by clients go with their profile (with the replies
    they wrote), and so does their rating; reports of those reviews go with them. The reviews
    they wrote of their clients stay, as every review a closed member wrote does."""
    about_them = select(Review.id).where(
        Review.subject_id == professional_id, Review.author_role == CLIENT
    )
    session.execute(delete(ReviewReport).where(ReviewReport.review_id.in_(about_them)))
    for review in session.scalars(
        select(Review).where(Review.subject_id == professional_id, Review.author_role == CLIENT)
    ):
        session.delete(review)
    rating = session.get(ProfessionalRating, professional_id)
    if rating is not None:
        session.delete(rating)


def publish_due_reviews(session: Session, emit: Emit, now: datetime) -> int:
    """Timer: publish every review still blind `BLIND_PERIOD` after it was written."""
    due = list(session.scalars(
        select(Review)
        .where(Review.published_at.is_(None), Review.created_at <= now - BLIND_PERIOD)
        .order_by(Review.created_at, Review.id)
    ))
    if due:
        _publish(session, emit, due, now)
    return len(due)


def reply_to_review(session: Session, emit: Emit, caller: Caller, review_id: str, text: str,
                    now: datetime) -> dict:
    """The professional answers a published client review, once."""
    review = session.get(Review, review_id)
    if review is None or not shown(review):
        raise NotFound("no such published review")
    if review.author_role != CLIENT or caller.user_id != review.professional_id:
        raise Forbidden("only the reviewed professional may reply")
    if review.reply_text is not None:
        raise Conflict("you already replied to this review")
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_TEXT:
        raise field_error("text", f"must be 1-{MAX_TEXT} characters")
    review.reply_text = text
    review.replied_at = now
    emit("review_replied", {
        "review_id": review.id, "booking_id": review.booking_id,
        "professional_id": review.professional_id, "client_id": review.client_id,
        "reply_text": text,
    })
    return review_view(review)


def decode_position(cursor: str) -> tuple[datetime, str]:
    """A (time, id) page position from a cursor we gave; `Invalid` naming `cursor` otherwise."""
    values = decode_cursor(cursor)
    try:
        stamp, item_id = values
        moment = datetime.fromisoformat(stamp)
    except (ValueError, TypeError):
        moment, item_id = None, None
    if moment is None or moment.tzinfo is None or not isinstance(item_id, str):
        raise field_error("cursor", "Not a cursor we gave.")
    return moment, item_id


def _page(session: Session, subject_id: str, author_role: str, limit: int,
          cursor: str | None) -> dict:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise field_error("limit", f"must be 1 to {MAX_PAGE}")
    query = select(Review).where(
        Review.subject_id == subject_id, Review.author_role == author_role, SHOWN,
    )
    if cursor:
        moment, review_id = decode_position(cursor)
        query = query.where(
            (Review.published_at < moment)
            | ((Review.published_at == moment) & (Review.id < review_id))
        )
    rows = list(session.scalars(
        query.order_by(Review.published_at.desc(), Review.id.desc()).limit(limit + 1)
    ))
    page = rows[:limit]
    return {
        "items": [review_view(r) for r in page],
        "next_cursor": (
            encode_cursor([page[-1].published_at.isoformat(), page[-1].id])
            if len(rows) > limit else None
        ),
    }


def reviews_of_professional(session: Session, professional_id: str,
                            limit: int = DEFAULT_PAGE, cursor: str | None = None) -> dict:
    """Public: published client reviews of a professional, newest first; none while the
    professional is suspended (they are out of every public page until reinstated)."""
    page = _page(session, professional_id, CLIENT, limit, cursor)
    if page["items"] and account_standing.is_suspended(session, professional_id):
        return {"items": [], "next_cursor": None}
    return page


def reviews_of_client(session: Session, caller: Caller, client_id: str,
                      limit: int = DEFAULT_PAGE, cursor: str | None = None) -> dict:
    """What professionals said about a client: for professionals deciding on a request, and
    for the client themself."""
    if not caller.user_id:
        raise Unauthorized("sign in to read client reviews")
    if not may_read_client_reviews(caller, client_id):
        raise Forbidden("only professionals and the client may read these reviews")
    return _page(session, client_id, PROFESSIONAL, limit, cursor)


def may_read_client_reviews(caller: Caller, client_id: str) -> bool:
    """Professionals' reviews of a client are for professionals and that client."""
    return bool(caller.user_id) and (
        caller.user_id == client_id or "professional" in caller.roles
    )
