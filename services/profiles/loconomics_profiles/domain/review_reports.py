"""Reports of published reviews, and the moderators who answer them
(docs/reports-and-blocks.md, "profiles: reports of reviews").

A signed-in member who can read a published review may report it once, for one of the shared
`REPORT_REASONS`; the report changes nothing by itself, and neither the author nor anyone else
is told. Moderators (administrators) read the reports in one status, oldest first, each with
the review embedded, and decide:

- **removing** the review upholds every open report of it: the review leaves every view, page
  and rating (`reviews.shown`) but keeps its row and text; `review_removed` tells its author,
  and one `review_report_resolved` per report tells each reporter;
- **dismissing** one report: the review stays, `review_report_resolved` tells the reporter;
- **restoring** a removed review (a moderator's mistake): it is shown again, its reports stay
  resolved, nobody is told.

A review a member cannot read is `NotFound` to them, as one that does not exist: unpublished
(blind), removed, or a professional's review of a client for a member who is neither that
client nor a professional.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing import report_rows
from loconomics_plumbing.errors import Conflict, Forbidden, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.moderation import (
    DETAILS_MAX,
    DISMISSED,
    NOTE_MAX,
    OPEN,
    REPORT_REASONS,
    REPORT_STATUSES,
    UPHELD,
)
from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..shop_models import Review, ReviewReport
from . import reviews
from .moderation_input import (
    DEFAULT_PAGE,
    check_choice,
    check_limit,
    check_text,
    next_cursor,
    oldest_first,
    raise_if,
)

Emit = Callable[[str, dict], object]

ALREADY_REPORTED = "You already reported this review."


# what each side is shown


def report_view(report: ReviewReport) -> dict:
    """The reporter's own view of their report."""
    return {
        "id": report.id,
        "review_id": report.review_id,
        "reason": report.reason,
        "details": report.details,
        "status": report.status,
        "created_at": report.created_at,
        "resolved_at": report.resolved_at,
    }


def moderated_review_view(review: Review, report_count: int) -> dict:
    """The moderator's view of a review: the text whatever its state, the removal, and how
    many reports it had (in any status)."""
    return {
        **reviews.review_view(review),
        "removed_at": review.removed_at,
        "removal_reason": review.removal_reason,
        "removal_note": review.removal_note,
        "removed_by": review.removed_by,
        "report_count": report_count,
    }


def moderated_report_view(report: ReviewReport, review: Review, report_count: int) -> dict:
    """The moderator's view of a report: who made it, the decision, and the review itself."""
    return {
        **report_view(report),
        "reporter_id": report.reporter_id,
        "resolved_by": report.resolved_by,
        "resolution_note": report.resolution_note,
        "review": moderated_review_view(review, report_count),
    }


def _report_counts(session: Session, review_ids: list[str]) -> dict[str, int]:
    if not review_ids:
        return {}
    rows = session.execute(
        select(ReviewReport.review_id, func.count())
        .where(ReviewReport.review_id.in_(sorted(set(review_ids))))
        .group_by(ReviewReport.review_id)
    )
    return {review_id: count for review_id, count in rows}


def _moderated(session: Session, review: Review) -> dict:
    return moderated_review_view(review, _report_counts(session, [review.id]).get(review.id, 0))


# checks shared by the member's and the moderators' side


def _held(session: Session, review_id: str) -> None:
    """Reports of a review and its removal are written one transaction at a time, so a report
    made in the instant of a removal is either refused or upheld by it, never left open."""
    hold_until_commit(session, f"profiles-review-moderation:{review_id}")


def _readable_review(session: Session, caller: Caller, review_id: str) -> Review:
    """The review as the caller may read it; anything else is `NotFound`, never a hint."""
    _held(session, review_id)
    review = session.get(Review, review_id)
    if review is None or not reviews.shown(review):
        raise NotFound("No such review.")
    if review.author_role == reviews.PROFESSIONAL and not reviews.may_read_client_reviews(
        caller, review.client_id
    ):
        raise NotFound("No such review.")
    return review


def _published_review(session: Session, review_id: str) -> Review:
    """A review a moderator may act on: published (a blind one is nobody's to read yet)."""
    _held(session, review_id)
    review = session.get(Review, review_id)
    if review is None or review.published_at is None:
        raise NotFound("No such published review.")
    return review


# the member


def report_review(
    session: Session,
    caller: Caller,
    review_id: str,
    reason: str,
    details: str | None,
    now: datetime,
) -> dict:
    """A signed-in member reports a published review they can read, once (whatever became of
    the first report). Nothing else changes and nobody is told."""
    reporter_id = caller.require_user()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "reason", reason, REPORT_REASONS)
    check_text(errors, "details", details, DETAILS_MAX)
    raise_if(errors)
    review = _readable_review(session, caller, review_id)
    if review.author_id == reporter_id:
        raise Forbidden("You cannot report your own review.")
    already = session.scalar(
        select(ReviewReport.id).where(
            ReviewReport.review_id == review.id, ReviewReport.reporter_id == reporter_id
        )
    )
    if already is not None:
        raise Conflict(ALREADY_REPORTED)
    report = ReviewReport(
        id=uuid.uuid4().hex,
        review_id=review.id,
        reporter_id=reporter_id,
        reason=reason,
        details=details,
        status=OPEN,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError as exc:  # the same member's report, written meanwhile
        raise Conflict(ALREADY_REPORTED) from exc
    return report_view(report)


# the moderators


def list_review_reports(
    session: Session,
    caller: Caller,
    status: str = OPEN,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
) -> dict:
    """The moderators' queue: reports in one status, oldest first (first come, first
    answered), each with the review it is about."""
    caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "status", status, REPORT_STATUSES)
    check_limit(errors, limit)
    raise_if(errors)
    query = select(ReviewReport, Review).join(Review, Review.id == ReviewReport.review_id)
    query = oldest_first(query.where(ReviewReport.status == status), ReviewReport, cursor)
    rows = session.execute(query.limit(limit + 1)).all()
    page = rows[:limit]
    counts = _report_counts(session, [review.id for _, review in page])
    last = page[-1][0] if page else None
    return {
        "items": [
            moderated_report_view(report, review, counts.get(review.id, 0))
            for report, review in page
        ],
        "next_cursor": next_cursor(last.created_at, last.id) if len(rows) > limit else None,
    }


def remove_review(
    session: Session,
    emit: Emit,
    caller: Caller,
    review_id: str,
    reason: str,
    note: str | None,
    now: datetime,
) -> dict:
    """A moderator removes a published review: it leaves every view and rating, keeping its
    text; every open report of it is upheld. Its author is told (`review_removed`), and so is
    each reporter whose report this resolved (`review_report_resolved`)."""
    moderator_id = caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "reason", reason, REPORT_REASONS)
    check_text(errors, "note", note, NOTE_MAX)
    raise_if(errors)
    review = _published_review(session, review_id)
    if review.removed_at is not None:
        raise Conflict("This review is already removed.")
    review.removed_at = now
    review.removal_reason = reason
    review.removal_note = note
    review.removed_by = moderator_id
    upheld = list(
        session.scalars(
            select(ReviewReport)
            .where(ReviewReport.review_id == review.id, ReviewReport.status == OPEN)
            .order_by(ReviewReport.created_at, ReviewReport.id)
        )
    )
    for report in upheld:
        report_rows.resolve(report, UPHELD, moderator_id, note, now)
    session.flush()
    if review.author_role == reviews.CLIENT:
        reviews.refresh_ratings(session, review.professional_id, review.listing_id)
    emit(
        "review_removed",
        {
            "review_id": review.id,
            "booking_id": review.booking_id,
            "author_id": review.author_id,
            "author_role": review.author_role,
            "subject_id": review.subject_id,
            "professional_id": review.professional_id,
            "client_id": review.client_id,
            "reason": reason,
            "note": note,
            "removed_at": now.isoformat(),
        },
    )
    for report in upheld:
        _announce(emit, report)
    return _moderated(session, review)


def restore_review(session: Session, caller: Caller, review_id: str) -> dict:
    """A moderator's mistake undone: the review is shown and counted again. Its reports stay
    resolved as they were; nobody is told."""
    caller.require_admin()
    review = _published_review(session, review_id)
    if review.removed_at is None:
        raise Conflict("This review is not removed.")
    review.removed_at = None
    review.removal_reason = None
    review.removal_note = None
    review.removed_by = None
    session.flush()
    if review.author_role == reviews.CLIENT:
        reviews.refresh_ratings(session, review.professional_id, review.listing_id)
    return _moderated(session, review)


def dismiss_review_report(
    session: Session,
    emit: Emit,
    caller: Caller,
    report_id: str,
    note: str | None,
    now: datetime,
) -> dict:
    """A moderator dismisses one open report: the review stays; the reporter is told."""
    moderator_id = caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_text(errors, "note", note, NOTE_MAX)
    raise_if(errors)
    report = session.get(ReviewReport, report_id)
    if report is None:
        raise NotFound("No such report.")
    _held(session, report.review_id)  # a removal upholds this report first, or waits
    session.refresh(report)
    if report.status != OPEN:
        raise Conflict("This report is already resolved.")
    report_rows.resolve(report, DISMISSED, moderator_id, note, now)
    session.flush()
    _announce(emit, report)
    review = session.get(Review, report.review_id)
    return moderated_report_view(report, review, _report_counts(session, [review.id])[review.id])



def _announce(emit: Emit, report: ReviewReport) -> None:
    emit(
        "review_report_resolved",
        {
            "report_id": report.id,
            "review_id": report.review_id,
            "reporter_id": report.reporter_id,
            "outcome": report.status,
            "note": report.resolution_note,
            "resolved_at": report.resolved_at.isoformat(),
        },
    )


def open_queue(session: Session) -> tuple[int, datetime | None]:
    """How many reports wait for a moderator, and when the oldest of them was made."""
    return report_rows.open_queue(session, ReviewReport)


# closing an account


def forget_reporter_details(session: Session, reporter_id: str) -> None:
    """A closing member's reports stay for the moderators' record, without their own words.
    (Reports of the reviews deleted with a closing professional go in
    `reviews.forget_reviews_of_professional`.)"""
    report_rows.forget_reporter_details(session, ReviewReport, reporter_id)
