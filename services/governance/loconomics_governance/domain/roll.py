"""The voter roll: who may vote on a ballot, fixed when it opens; who voted, never how.

The electorate of a ballot is every member in good standing at the moment it opens, read
from the status history (so a timer that runs late still takes the roll as of the opening
time): members who join later, or lapse before, do not vote on it.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import Conflict, Forbidden
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Member, RollEntry
from .identifiers import new_id
from .members import statuses_at
from .statuses import GOOD_STANDING


def take_roll(session: Session, ballot_id: str, as_of: datetime) -> int:
    """Write the electorate of `ballot_id`; returns its size."""
    eligible = sorted(
        mid for mid, status in statuses_at(session, as_of).items() if status == GOOD_STANDING
    )
    session.add_all(RollEntry(id=new_id(), ballot_id=ballot_id, member_id=mid) for mid in eligible)
    session.flush()
    return len(eligible)


def mark_voted(session: Session, ballot_id: str, member: Member, now: datetime) -> None:
    """Record that `member` voted, once.

    A compare-and-set in the database (`UPDATE ... WHERE voted_at IS NULL`): of two
    concurrent votes by the same member, whichever the database applies second finds
    `voted_at` already set and updates nothing, with any number of service copies.
    """
    marked = session.execute(
        update(RollEntry)
        .where(
            RollEntry.ballot_id == ballot_id,
            RollEntry.member_id == member.id,
            RollEntry.voted_at.is_(None),
        )
        .values(voted_at=now)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 1:
        return
    on_roll = session.scalars(
        select(RollEntry.id).where(
            RollEntry.ballot_id == ballot_id, RollEntry.member_id == member.id
        )
    ).first()
    if on_roll is not None:
        raise Conflict("You have already voted on this ballot.")
    raise Forbidden(
        "You are not on the roll for this ballot: it is made of the members in good "
        "standing when voting opened."
    )


def turnout(session: Session, ballot_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                RollEntry.ballot_id == ballot_id, RollEntry.voted_at.is_not(None)
            )
        )
        or 0
    )


def electorate(session: Session, ballot_id: str, voted: bool | None = None) -> list[str]:
    """External ids on the roll (optionally only those who did or did not vote yet)."""
    query = (
        select(Member.external_id)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .where(RollEntry.ballot_id == ballot_id)
        .order_by(Member.external_id)
    )
    if voted is True:
        query = query.where(RollEntry.voted_at.is_not(None))
    elif voted is False:
        query = query.where(RollEntry.voted_at.is_(None))
    return list(session.scalars(query))


def eligibility_audit(session: Session, ballot_id: str) -> list[dict]:
    """Every member on the roll and whether they voted: never how, never when."""
    rows = session.execute(
        select(Member.external_id, Member.name, RollEntry.voted_at)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .where(RollEntry.ballot_id == ballot_id)
        .order_by(Member.external_id)
    ).all()
    return [
        {"external_id": external_id, "name": name, "voted": voted_at is not None}
        for external_id, name, voted_at in rows
    ]


def roll_audit(session: Session, ballot_id: str) -> dict:
    """The published audit of a closed ballot: its roll, and how many on it voted."""
    entries = eligibility_audit(session, ballot_id)
    return {
        "ballot_id": ballot_id,
        "roll_size": len(entries),
        "voted": sum(1 for entry in entries if entry["voted"]),
        "entries": entries,
    }
