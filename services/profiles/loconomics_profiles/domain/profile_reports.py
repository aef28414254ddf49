"""Reports of professionals' profiles, and the moderators who answer them
(docs/suspensions.md, "profiles: reports of profiles, suspensions").

A signed-in member who can see a professional's public profile may report it for one of the
shared `PROFILE_REPORT_REASONS`; the report changes nothing by itself and nobody is told. One
report per member and professional is open at a time (a partial unique index): a profile
changes over time, so once a moderator resolved the earlier report the member may report it
again. Moderators (administrators) read the reports in one status, oldest first, each with the
professional embedded, and decide:

- **dismissing** one report: the profile stays; `profile_report_resolved` tells the reporter,
  with the note;
- **upholding** is suspending the professional (`domain.suspensions`): every open report of
  their profile is upheld at once (`uphold_open_reports`), one `profile_report_resolved` per
  report.

Reports, dismissals and suspensions of one professional are written one transaction at a time
(the account's suspension lock, `account_standing.hold`), so a report made in the instant of a
suspension is refused (the profile is gone) or upheld by it, never left open.
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
    PROFILE_REPORT_REASONS,
    REPORT_STATUSES,
    UPHELD,
)
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account
from ..shop_models import JobTitle, Listing, ProfessionalProfile, ProfileReport
from . import account_standing
from .listings import DELETED
from .moderation_input import (
    DEFAULT_PAGE,
    check_choice,
    check_limit,
    check_text,
    next_cursor,
    oldest_first,
    raise_if,
)
from .professional_profiles import find_public_profile

Emit = Callable[[str, dict], object]

ALREADY_REPORTED = "You already reported this profile."
NO_SUCH_PROFESSIONAL = "No such professional."


# what each side is shown


def report_view(report: ProfileReport) -> dict:
    """The reporter's own view of their report."""
    return {
        "id": report.id,
        "professional_id": report.professional_id,
        "reason": report.reason,
        "details": report.details,
        "status": report.status,
        "created_at": report.created_at,
        "resolved_at": report.resolved_at,
    }


def moderated_report_view(report: ProfileReport, professional: dict) -> dict:
    """The moderator's view of a report: who made it, the decision, and the professional."""
    return {
        **report_view(report),
        "reporter_id": report.reporter_id,
        "resolved_by": report.resolved_by,
        "resolution_note": report.resolution_note,
        "professional": professional,
    }


def reported_professionals(session: Session, professional_ids: list[str]) -> dict[str, dict]:
    """The moderator's view of each professional: who they are, what they list, whether they
    are suspended, and how many open reports of their profile wait. A handful of queries for
    the whole page, whatever its length."""
    wanted = sorted(set(professional_ids))
    if not wanted:
        return {}
    names = {
        row.id: row.name
        for row in session.execute(select(Account.id, Account.name).where(Account.id.in_(wanted)))
    }
    profiles = {
        row.professional_id: row
        for row in session.execute(
            select(
                ProfessionalProfile.professional_id,
                ProfessionalProfile.business_name,
                ProfessionalProfile.photo_url,
            ).where(ProfessionalProfile.professional_id.in_(wanted))
        )
    }
    titles: dict[str, list[str]] = {professional_id: [] for professional_id in wanted}
    for professional_id, title in session.execute(
        select(Listing.professional_id, JobTitle.name)
        .join(JobTitle, JobTitle.id == Listing.job_title_id)
        .where(Listing.professional_id.in_(wanted), Listing.status != DELETED)
        .order_by(Listing.created_at, Listing.id)
    ):
        titles[professional_id].append(title)
    counts = {
        professional_id: count
        for professional_id, count in session.execute(
            select(ProfileReport.professional_id, func.count())
            .where(ProfileReport.professional_id.in_(wanted), ProfileReport.status == OPEN)
            .group_by(ProfileReport.professional_id)
        )
    }
    suspended = account_standing.suspended_among(session, wanted)
    views = {}
    for professional_id in wanted:
        profile = profiles.get(professional_id)
        views[professional_id] = {
            "id": professional_id,
            "name": names.get(professional_id),
            "business_name": profile.business_name if profile else None,
            "photo_url": profile.photo_url if profile else None,
            "job_titles": titles[professional_id],
            "suspended": professional_id in suspended,
            "report_count": counts.get(professional_id, 0),
        }
    return views


def _moderated(session: Session, report: ProfileReport) -> dict:
    professional = reported_professionals(session, [report.professional_id])
    return moderated_report_view(report, professional[report.professional_id])


# checks


def _visible_professional(session: Session, professional: str) -> str:
    """The id of the professional whose public profile answers to `professional` (an account
    id or a custom address), with their suspension lock held; `NotFound` for an unknown,
    closed or suspended professional, or one without a public profile, as
    `GET /v1/professionals/{id}` answers."""
    if not isinstance(professional, str) or not professional:
        raise NotFound(NO_SUCH_PROFESSIONAL)
    professional_id = session.scalar(
        select(ProfessionalProfile.professional_id).where(
            or_(
                ProfessionalProfile.professional_id == professional,
                ProfessionalProfile.slug == professional.lower(),
            )
        )
    )
    if professional_id is None:
        raise NotFound(NO_SUCH_PROFESSIONAL)
    account_standing.hold(session, professional_id)
    # read again under the lock: a suspension committed meanwhile is seen, and so is a closure
    # (it deletes the profile)
    try:
        find_public_profile(session, professional_id)
    except NotFound:
        raise NotFound(NO_SUCH_PROFESSIONAL) from None
    return professional_id


# the member


def report_profile(
    session: Session,
    caller: Caller,
    professional: str,
    reason: str,
    details: str | None,
    now: datetime,
) -> dict:
    """A signed-in member reports a professional's profile they can see; one open report per
    member and professional. Nothing else changes and nobody is told."""
    reporter_id = caller.require_user()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "reason", reason, PROFILE_REPORT_REASONS)
    check_text(errors, "details", details, DETAILS_MAX)
    raise_if(errors)
    professional_id = _visible_professional(session, professional)
    if professional_id == reporter_id:
        raise Forbidden("You cannot report your own profile.")
    already = session.scalar(
        select(ProfileReport.id).where(
            ProfileReport.professional_id == professional_id,
            ProfileReport.reporter_id == reporter_id,
            ProfileReport.status == OPEN,
        )
    )
    if already is not None:
        raise Conflict(ALREADY_REPORTED)
    report = ProfileReport(
        id=uuid.uuid4().hex,
        professional_id=professional_id,
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


def list_profile_reports(
    session: Session,
    caller: Caller,
    status: str = OPEN,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
) -> dict:
    """The moderators' queue: reports in one status, oldest first (first come, first
    answered), each with the professional it is about."""
    caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "status", status, REPORT_STATUSES)
    check_limit(errors, limit)
    raise_if(errors)
    query = select(ProfileReport).where(ProfileReport.status == status)
    rows = list(session.scalars(oldest_first(query, ProfileReport, cursor).limit(limit + 1)))
    page = rows[:limit]
    professionals = reported_professionals(session, [r.professional_id for r in page])
    last = page[-1] if page else None
    return {
        "items": [
            moderated_report_view(report, professionals[report.professional_id]) for report in page
        ],
        "next_cursor": next_cursor(last.created_at, last.id) if len(rows) > limit else None,
    }


def dismiss_profile_report(
    session: Session,
    emit: Emit,
    caller: Caller,
    report_id: str,
    note: str | None,
    now: datetime,
) -> dict:
    """A moderator dismisses one open report: the profile stays; the reporter is told."""
    moderator_id = caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_text(errors, "note", note, NOTE_MAX)
    raise_if(errors)
    report = session.get(ProfileReport, report_id)
    if report is None:
        raise NotFound("No such report.")
    account_standing.hold(session, report.professional_id)  # a suspension upholds it first
    session.refresh(report)
    if report.status != OPEN:
        raise Conflict("This report is already resolved.")
    report_rows.resolve(report, DISMISSED, moderator_id, note, now)
    session.flush()
    _announce(emit, report)
    return _moderated(session, report)


def uphold_open_reports(
    session: Session, emit: Emit, professional_id: str, moderator_id: str, now: datetime
) -> list[ProfileReport]:
    """A suspension upholds every open report of the professional's profile, without a note
    (the suspension's note is the member's), and tells each reporter. The caller holds the
    professional's suspension lock."""
    upheld = list(
        session.scalars(
            select(ProfileReport)
            .where(ProfileReport.professional_id == professional_id, ProfileReport.status == OPEN)
            .order_by(ProfileReport.created_at, ProfileReport.id)
        )
    )
    for report in upheld:
        report_rows.resolve(report, UPHELD, moderator_id, None, now)
    session.flush()
    for report in upheld:
        _announce(emit, report)
    return upheld


def _announce(emit: Emit, report: ProfileReport) -> None:
    emit(
        "profile_report_resolved",
        {
            "report_id": report.id,
            "professional_id": report.professional_id,
            "reporter_id": report.reporter_id,
            "outcome": report.status,
            "note": report.resolution_note,
            "resolved_at": report.resolved_at.isoformat(),
        },
    )


def open_queue(session: Session) -> tuple[int, datetime | None]:
    """How many reports of profiles wait for a moderator, and when the oldest was made."""
    return report_rows.open_queue(session, ProfileReport)


# closing an account


def forget_reporter_details(session: Session, reporter_id: str) -> None:
    """A closing member's reports of profiles stay for the moderators' record, without their
    own words."""
    report_rows.forget_reporter_details(session, ProfileReport, reporter_id)


def forget_reports_of_professional(session: Session, professional_id: str) -> None:
    """A closing professional's profile goes, and the reports of it with it (open ones too:
    there is nothing left to decide about)."""
    session.execute(delete(ProfileReport).where(ProfileReport.professional_id == professional_id))
