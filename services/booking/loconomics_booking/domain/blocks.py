"""Blocks between members: no new booking across one (docs/reports-and-blocks.md).

Notifications owns blocks (a member blocks another in messaging) and tells booking through
`member_blocked` and `member_unblocked`. Booking keeps one row per (blocker, blocked) pair
with the newest change applied, so a late or repeated event changes nothing. While a block
exists either way between a client and a professional, neither can make a new booking with the
other; bookings already made run their course and can be cancelled as usual.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import Conflict
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..models import BlockedPair

CANNOT_BOOK_PROFESSIONAL = "You cannot book this professional."
CANNOT_BOOK_CLIENT = "You cannot book this client."


def apply_block_change(
    session: Session, blocker_id: str, blocked_id: str, blocked: bool, changed_at: datetime
) -> bool:
    """Apply a block or an unblock unless a change as new or newer is already applied."""
    pair = session.get(BlockedPair, (blocker_id, blocked_id))
    if pair is None:
        session.add(
            BlockedPair(
                blocker_id=blocker_id, blocked_id=blocked_id, blocked=blocked, changed_at=changed_at
            )
        )
        return True
    if pair.changed_at >= changed_at:
        return False
    pair.blocked = blocked
    pair.changed_at = changed_at
    return True


def blocked_between(session: Session, one: str, other: str) -> bool:
    """Whether either of the two has blocked the other."""
    return (
        session.scalars(
            select(BlockedPair.blocker_id)
            .where(
                BlockedPair.blocked.is_(True),
                or_(
                    (BlockedPair.blocker_id == one) & (BlockedPair.blocked_id == other),
                    (BlockedPair.blocker_id == other) & (BlockedPair.blocked_id == one),
                ),
            )
            .limit(1)
        ).first()
        is not None
    )


def check_bookable_between(
    session: Session, client_id: str, professional_id: str, *, by_professional: bool
) -> None:
    """Refuse a new booking between two members with a block either way."""
    if blocked_between(session, client_id, professional_id):
        raise Conflict(CANNOT_BOOK_CLIENT if by_professional else CANNOT_BOOK_PROFESSIONAL)


def forget_blocks_of(session: Session, account_id: str) -> None:
    """A closed account's pairs, made by it or of it, go."""
    session.execute(
        delete(BlockedPair).where(
            or_(BlockedPair.blocker_id == account_id, BlockedPair.blocked_id == account_id)
        )
    )
