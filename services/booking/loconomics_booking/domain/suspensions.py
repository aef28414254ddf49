"""Suspended accounts: no booking with a suspended member (docs/suspensions.md).

Profiles owns suspensions (a moderator suspends an account, and reinstates it) and tells
booking through `account_suspended` and `account_reinstated`. Booking keeps one row per
account with the newest change applied, so a late or repeated event changes nothing. While a
member is suspended, nobody makes a new booking with them, as client or as professional. At
the suspension their open bookings are cancelled by their side with a full refund, so the
other party is told and refunded at once rather than left waiting on someone who cannot sign
in; a reinstatement brings nothing back.

A booking being made and a suspension being applied take the same locks, in the same order
(`hold_parties`: the client's, then the professional's time, which `occupancy` takes for every
new booking anyway), so a booking made in the instant of a suspension is refused by it or
cancelled by it, never left open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict
from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import SuspendedAccount
from . import account_bookings
from .occupancy import hold_professionals_time

Emit = Callable[[str, dict], None]

SUSPENSION_REASON = "account suspended"
PROFESSIONAL_SUSPENDED = "This professional is not taking bookings."
CLIENT_SUSPENDED = "This client's account is suspended."


def apply_suspension_change(
    session: Session,
    emit: Emit,
    account_id: str,
    suspended: bool,
    changed_at: datetime,
    now: datetime,
) -> bool:
    """Apply a suspension or a reinstatement unless a change as new or newer is already
    applied; a suspension applied cancels the member's open bookings."""
    hold_parties(session, account_id, account_id)
    row = session.get(SuspendedAccount, account_id)
    if row is None:
        session.add(
            SuspendedAccount(account_id=account_id, suspended=suspended, changed_at=changed_at)
        )
    elif row.changed_at >= changed_at:
        return False
    else:
        row.suspended = suspended
        row.changed_at = changed_at
    session.flush()
    if suspended:
        account_bookings.cancel_open_bookings(
            session, emit, account_id, now, reason=SUSPENSION_REASON
        )
    return True


def is_suspended(session: Session, account_id: str) -> bool:
    return (
        session.scalar(
            select(SuspendedAccount.suspended).where(SuspendedAccount.account_id == account_id)
        )
        is True
    )


def hold_parties(session: Session, client_id: str, professional_id: str) -> None:
    """Wait for, then keep until commit, the locks a new booking between these two and a
    suspension of either take: the client's first, then the professional's time."""
    hold_until_commit(session, f"booking-client:{client_id}")
    hold_professionals_time(session, professional_id)


def check_not_suspended(session: Session, client_id: str, professional_id: str) -> None:
    """Refuse a new booking when either member is suspended (their locks held till commit)."""
    hold_parties(session, client_id, professional_id)
    if is_suspended(session, professional_id):
        raise Conflict(PROFESSIONAL_SUSPENDED)
    if is_suspended(session, client_id):
        raise Conflict(CLIENT_SUSPENDED)


def forget_suspension_of(session: Session, account_id: str) -> None:
    """A closed account's row goes."""
    session.execute(delete(SuspendedAccount).where(SuspendedAccount.account_id == account_id))
