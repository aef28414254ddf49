"""Whether an account is suspended, for every rule that asks (docs/suspensions.md).

Log-in, refresh, password resets, closure, search's index, the public profile and reports of a
profile all ask the same question; `domain.suspensions` answers it for the moderators. Each
writer that depends on the answer first takes the account's lock (`hold`), so it runs before or
after a suspension or reinstatement of that account, never in the middle: a log-in made in the
instant of a suspension is refused or revoked by it, a listing reindexed then never comes back
to search. Imports nothing else of the domain, so any module may use it.
"""

from __future__ import annotations

from loconomics_plumbing.errors import Forbidden
from loconomics_plumbing.moderation import moderators_email
from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from ..models import Suspension


def contact() -> str:
    """Where a suspended member writes to the moderators (`LOCONOMICS_MODERATORS_EMAIL`, the
    address notifications names in the suspension email too)."""
    return moderators_email()


def suspended_message() -> str:
    return (
        "This account is suspended. To ask why or to appeal, write to the cooperative at "
        f"{contact()}."
    )


def account_suspended() -> Forbidden:
    """The answer to a suspended member who proved who they are (the right password, a
    refresh token, a reset link): 403, with how to reach the cooperative."""
    return Forbidden(suspended_message())


def hold(session: Session, account_id: str) -> None:
    """Wait for, then keep until this transaction ends, the account's suspension lock."""
    hold_until_commit(session, f"profiles-suspension:{account_id}")


CURRENT = Suspension.reinstated_at.is_(None)
"""A suspension not lifted yet, as a query condition."""


def current_suspension(session: Session, account_id: str) -> Suspension | None:
    return session.scalar(select(Suspension).where(Suspension.account_id == account_id, CURRENT))


def is_suspended(session: Session, account_id: str) -> bool:
    found = session.scalar(
        select(Suspension.id).where(Suspension.account_id == account_id, CURRENT)
    )
    return found is not None


def not_suspended(account_id: ColumnElement) -> ColumnElement[bool]:
    """A query condition: the account in this column has no current suspension."""
    return ~exists().where(Suspension.account_id == account_id, CURRENT)


def suspended_among(session: Session, account_ids: list[str]) -> set[str]:
    wanted = sorted(set(account_ids))
    if not wanted:
        return set()
    rows = session.scalars(
        select(Suspension.account_id).where(Suspension.account_id.in_(wanted), CURRENT)
    )
    return set(rows)
