"""What proposals and elections share as ballots on a timeline: status moves and reminders.

Both models carry `id`, `status`, `closes_at` and `reminded_at`; every change here is a
compare-and-set, so several service copies running the timer never act twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..policy import GovernancePolicy
from .roll import electorate

OPEN = "open"
CLOSED = "closed"

Emit = Callable[[str, dict], None]


def move(session: Session, ballot, from_status: str, to_status: str, **values) -> bool:
    """Move `ballot` on only if it is still where we saw it; False when another copy did."""
    model = type(ballot)
    moved = session.execute(
        update(model)
        .where(model.id == ballot.id, model.status == from_status)
        .values(status=to_status, **values)
    )
    return moved.rowcount == 1


def remind_due(
    session: Session,
    emit: Emit,
    model: type,
    event_type: str,
    announcement: Callable[[object], dict],
    *,
    now: datetime,
    policy: GovernancePolicy,
) -> list[str]:
    """Tell those on the roll who have not voted, once, that voting closes soon."""
    reminded = []
    due = session.scalars(
        select(model).where(
            model.status == OPEN,
            model.reminded_at.is_(None),
            model.closes_at <= now + policy.closing_reminder,
            model.closes_at > now,
        )
    ).all()
    for ballot in due:
        claimed = session.execute(
            update(model)
            .where(model.id == ballot.id, model.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        if claimed.rowcount != 1:
            continue
        emit(
            event_type,
            {**announcement(ballot), "not_yet_voted": electorate(session, ballot.id, voted=False)},
        )
        reminded.append(ballot.id)
    return reminded
