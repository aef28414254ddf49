"""Suspended accounts (docs/suspensions.md, "profiles: reports of profiles, suspensions").

A moderator (an administrator) suspends a member's account for one of `SUSPENSION_REASONS`,
with a note the member is told. In the same transaction:

- every log-in of the member is revoked (the gateway's session cache lets an access token live
  a few seconds more, as at closure), and their password-reset and email-confirmation links
  are deleted; while it lasts no log-in, refresh or password reset works
  (`account_standing.account_suspended`: 403, saying how to reach the cooperative), and a
  reset request sends nothing;
- their public profile and reviews page answer as for nobody, and their listings leave search
  (`search.index_listing` drops their rows while they are suspended); the listings keep their
  status, services, prices and areas, so a reinstatement indexes them again exactly as they
  are;
- every open report of their profile is upheld (`profile_reports.uphold_open_reports`);
- `account_suspended` tells the other services (booking cancels their open bookings,
  notifications tells the member and stops messages), then one `profile_report_resolved` per
  report upheld.

A reinstatement lifts it: the member may sign in afresh (the revoked log-ins stay revoked),
their profile and listings come back, `account_reinstated` is emitted; reports stay resolved.

Nothing is erased: a suspension's row is the record of the moderators' decision and stays,
note included, even when the account closes. Suspensions, reinstatements, reports of the
profile, log-ins and reindexing of one account run one transaction at a time (its suspension
lock, `account_standing.hold`); the partial unique index keeps one current suspension per
account whatever happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, NotFound
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.moderation import CURRENT, LIFTED, NOTE_MAX, SUSPENSION_REASONS
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, EmailConfirmation, PasswordReset, Suspension
from ..shop_models import Listing
from . import account_standing, login_sessions, profile_reports
from .moderation_input import (
    DEFAULT_PAGE,
    check_choice,
    check_limit,
    check_text,
    next_cursor,
    raise_if,
)
from .reviews import decode_position
from .search import index_listing

Emit = Callable[[str, dict], object]

STATUSES = (CURRENT, LIFTED)
ALREADY_SUSPENDED = "This account is already suspended."
NOT_SUSPENDED = "This account is not suspended."


def status_of(suspension: Suspension) -> str:
    return CURRENT if suspension.reinstated_at is None else LIFTED


def suspension_view(suspension: Suspension, account: Account | None) -> dict:
    """The moderator's view of a suspension, with the account's name and email as they are
    now (`Former member` and a `closed.invalid` address once it closed)."""
    return {
        "id": suspension.id,
        "account_id": suspension.account_id,
        "name": account.name if account else None,
        "email": account.email if account else None,
        "reason": suspension.reason,
        "note": suspension.note,
        "status": status_of(suspension),
        "suspended_at": suspension.suspended_at,
        "suspended_by": suspension.suspended_by,
        "reinstated_at": suspension.reinstated_at,
        "reinstated_by": suspension.reinstated_by,
        "reinstatement_note": suspension.reinstatement_note,
    }


def member_view(suspension: Suspension) -> dict:
    """The member's own record of a suspension (their copy of their data): not who decided."""
    return {
        "id": suspension.id,
        "reason": suspension.reason,
        "note": suspension.note,
        "status": status_of(suspension),
        "suspended_at": suspension.suspended_at,
        "reinstated_at": suspension.reinstated_at,
        "reinstatement_note": suspension.reinstatement_note,
    }


def _open_account(session: Session, account_id: str) -> Account:
    """The account, its suspension lock held; `NotFound` when unknown or closed."""
    if not isinstance(account_id, str) or not account_id:
        raise NotFound("No such account.")
    account_standing.hold(session, account_id)
    account = session.get(Account, account_id)
    if account is None or account.closed_at is not None:
        raise NotFound("No such account.")
    return account


def _reindex(session: Session, account_id: str) -> None:
    """Every listing of the account, as search must see it now (dropped while suspended)."""
    session.flush()
    for listing in session.scalars(
        select(Listing).where(Listing.professional_id == account_id).order_by(Listing.id)
    ):
        index_listing(session, listing)


def suspend_account(
    session: Session,
    emit: Emit,
    caller: Caller,
    account_id: str,
    reason: str,
    note: str | None,
    now: datetime,
) -> dict:
    """A moderator suspends a member's account (see the module note for what follows)."""
    moderator_id = caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "reason", reason, SUSPENSION_REASONS)
    check_text(errors, "note", note, NOTE_MAX)
    if account_id == moderator_id:
        errors["account_id"] = ["You cannot suspend your own account."]
    raise_if(errors)
    account = _open_account(session, account_id)
    if account_standing.is_suspended(session, account.id):
        raise Conflict(ALREADY_SUSPENDED)
    suspension = Suspension(
        id=str(uuid.uuid4()),
        account_id=account.id,
        reason=reason,
        note=note,
        suspended_at=now,
        suspended_by=moderator_id,
    )
    try:
        with session.begin_nested():
            session.add(suspension)
    except IntegrityError as exc:  # another moderator's, written meanwhile
        raise Conflict(ALREADY_SUSPENDED) from exc

    login_sessions.revoke_all(session, account.id, now)
    session.execute(delete(PasswordReset).where(PasswordReset.account_id == account.id))
    session.execute(delete(EmailConfirmation).where(EmailConfirmation.account_id == account.id))
    _reindex(session, account.id)
    emit(
        "account_suspended",
        {
            "account_id": account.id,
            "suspension_id": suspension.id,
            "reason": reason,
            "note": note,
            "suspended_at": now.isoformat(),
        },
    )
    profile_reports.uphold_open_reports(session, emit, account.id, moderator_id, now)
    return suspension_view(suspension, account)


def reinstate_account(
    session: Session,
    emit: Emit,
    caller: Caller,
    account_id: str,
    note: str | None,
    now: datetime,
) -> dict:
    """A moderator lifts an account's current suspension: the member may sign in again and
    their profile and listings come back as they are. Reports stay resolved."""
    moderator_id = caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_text(errors, "note", note, NOTE_MAX)
    if account_id == moderator_id:
        errors["account_id"] = ["You cannot reinstate your own account."]
    raise_if(errors)
    account = _open_account(session, account_id)
    suspension = account_standing.current_suspension(session, account.id)
    if suspension is None:
        raise Conflict(NOT_SUSPENDED)
    suspension.reinstated_at = now
    suspension.reinstated_by = moderator_id
    suspension.reinstatement_note = note
    _reindex(session, account.id)
    emit(
        "account_reinstated",
        {
            "account_id": account.id,
            "suspension_id": suspension.id,
            "note": note,
            "reinstated_at": now.isoformat(),
        },
    )
    return suspension_view(suspension, account)


def list_suspensions(
    session: Session,
    caller: Caller,
    status: str = CURRENT,
    account_id: str | None = None,
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
) -> dict:
    """The moderators' record, newest first: current suspensions by when they began, lifted
    ones by when they were lifted; of every account or of one."""
    caller.require_admin()
    errors: dict[str, list[str]] = {}
    check_choice(errors, "status", status, STATUSES)
    check_limit(errors, limit)
    if account_id is not None and not isinstance(account_id, str):
        errors["account_id"] = ["An account id."]
    raise_if(errors)
    if status == CURRENT:
        moment_column = Suspension.suspended_at
        query = select(Suspension).where(account_standing.CURRENT)
    else:
        moment_column = Suspension.reinstated_at
        query = select(Suspension).where(Suspension.reinstated_at.is_not(None))
    if account_id:
        query = query.where(Suspension.account_id == account_id)
    if cursor:
        moment, suspension_id = decode_position(cursor)
        query = query.where(
            (moment_column < moment) | ((moment_column == moment) & (Suspension.id < suspension_id))
        )
    rows = list(
        session.scalars(query.order_by(moment_column.desc(), Suspension.id.desc()).limit(limit + 1))
    )
    page = rows[:limit]
    wanted = sorted({row.account_id for row in page})
    accounts = (
        {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(wanted)))}
        if wanted
        else {}
    )
    last = page[-1] if page else None
    return {
        "items": [suspension_view(row, accounts.get(row.account_id)) for row in page],
        "next_cursor": (next_cursor(_moment(last, status), last.id) if len(rows) > limit else None),
    }


def _moment(suspension: Suspension, status: str) -> datetime:
    return suspension.suspended_at if status == CURRENT else suspension.reinstated_at


# closing an account, and the member's copy


def suspensions_of(session: Session, account_id: str) -> list[Suspension]:
    """The account's suspensions, oldest first."""
    return list(
        session.scalars(
            select(Suspension)
            .where(Suspension.account_id == account_id)
            .order_by(Suspension.suspended_at, Suspension.id)
        )
    )
