"""Suspended accounts (docs/suspensions.md): our copy of profiles' moderators' decisions, and
no messages with a suspended member.

Profiles emits `account_suspended` and `account_reinstated`; we keep, per account, whether it
is suspended, the time of the newest change we applied (`suspended_at` / `reinstated_at`) and
which suspension it was (`SuspendedAccount`). Events arrive at least once and in any order: an
older change arriving late changes nothing, and neither does a repeat. At the very same
instant (a clock that did not move), a reinstatement follows the suspension it lifts, and a
new suspension follows the reinstatement of another. A closed account's changes are not kept
(its row goes at closure, `forget_suspension_of`).

While a member is suspended, nobody starts a conversation with them or posts in one of theirs,
and their own writes are refused too (Conflict, worded for the writer's side,
`refuse_suspended`); what was written stays readable. The change is written holding the
account's contact (`contacts.hold_contact`), as a message is written holding both of its
members', so a message written in the instant of a suspension comes before it or is refused.

Telling the member is routing's (`account_suspended`, `account_reinstated`); a change that was
not applied here (older than the one we hold, or of a closed account) tells nobody
(`is_current`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from loconomics_plumbing.errors import Conflict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import SuspendedAccount
from .contacts import contact_for, hold_contact

SUSPENDED_MEMBER = "This member's account is suspended."
"""To whoever writes to a suspended member."""
YOU_ARE_SUSPENDED = "Your account is suspended."
"""To a suspended member writing, should anything reach the RPC."""


def _newer(
    held: SuspendedAccount, suspended: bool, suspension_id: str, changed_at: datetime
) -> bool:
    """Whether a change is newer than the one we hold."""
    if changed_at != held.changed_at:
        return changed_at > held.changed_at
    if held.suspended == suspended:
        return False  # the same change again, or one we cannot order: the first one stays
    if suspended:  # a suspension after a reinstatement: a new one, never the one lifted
        return held.suspension_id != suspension_id
    return held.suspension_id == suspension_id  # a reinstatement lifts its own suspension only


def _record(
    session: Session, account_id: str, suspended: bool, suspension_id: str, changed_at: datetime
) -> None:
    hold_contact(session, account_id)
    contact = contact_for(session, account_id)
    if contact is not None and contact.closed_at is not None:
        return
    held = session.get(SuspendedAccount, account_id)
    if held is None:
        session.add(
            SuspendedAccount(
                account_id=account_id,
                suspended=suspended,
                suspension_id=suspension_id,
                changed_at=changed_at,
            )
        )
    elif _newer(held, suspended, suspension_id, changed_at):
        held.suspended = suspended
        held.suspension_id = suspension_id
        held.changed_at = changed_at
    session.flush()


def record_suspension(session: Session, change: dict[str, Any]) -> None:
    """Apply one loaded `account_suspended`."""
    _record(session, change["account_id"], True, change["suspension_id"], change["suspended_at"])


def record_reinstatement(session: Session, change: dict[str, Any]) -> None:
    """Apply one loaded `account_reinstated`."""
    _record(session, change["account_id"], False, change["suspension_id"], change["reinstated_at"])


def is_current(
    session: Session, account_id: str, suspended: bool, suspension_id: str, changed_at: datetime
) -> bool:
    """Whether this change is the one we hold now: only then is the member told of it."""
    held = session.get(SuspendedAccount, account_id)
    return (
        held is not None
        and held.suspended == suspended
        and held.suspension_id == suspension_id
        and held.changed_at == changed_at
    )


def suspended_among(session: Session, account_ids: Iterable[str]) -> set[str]:
    """Those of `account_ids` suspended now."""
    ids = set(account_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(SuspendedAccount.account_id).where(
                SuspendedAccount.account_id.in_(ids), SuspendedAccount.suspended.is_(True)
            )
        )
    )


def refuse_suspended(session: Session, writer_id: str, other_id: str) -> None:
    """Conflict when the writer or the other member is suspended, worded for the writer (their
    own suspension first). The caller holds both contacts."""
    suspended = suspended_among(session, (writer_id, other_id))
    if writer_id in suspended:
        raise Conflict(YOU_ARE_SUSPENDED)
    if other_id in suspended:
        raise Conflict(SUSPENDED_MEMBER)


def forget_suspension_of(session: Session, account_id: str) -> None:
    """A closed account's row goes (the suspensions themselves are profiles' record)."""
    session.execute(delete(SuspendedAccount).where(SuspendedAccount.account_id == account_id))
