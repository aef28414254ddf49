"""Who was on each ballot's roll, kept from the opening event so the result reaches them.

Governance names the roll when a ballot opens and the late voters when it is about to close,
but not again with the result; we remember the roll ourselves rather than ask.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import BallotVoter


def keep_roll(session: Session, kind: str, ballot_id: str, account_ids: Iterable[str]) -> None:
    """Remember the roll; a repeated opening event adds nobody twice."""
    known = set(voters_of(session, kind, ballot_id))
    for account_id in dict.fromkeys(account_ids):
        if account_id not in known:
            session.add(BallotVoter(ballot_kind=kind, ballot_id=ballot_id, account_id=account_id))
    session.flush()


def voters_of(session: Session, kind: str, ballot_id: str) -> list[str]:
    return list(
        session.scalars(
            select(BallotVoter.account_id)
            .where(BallotVoter.ballot_kind == kind, BallotVoter.ballot_id == ballot_id)
            .order_by(BallotVoter.account_id)
        )
    )
