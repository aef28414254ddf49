"""What the service's timer runs: open what is due, remind, close and count what is due.

Each step is safe to run from several service copies at once (every move is a
compare-and-set) and safe to run late: rolls are taken as of the opening time, and a
ballot whose closing time passed while the timer was down closes on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from ..policy import DEFAULT_POLICY, GovernancePolicy
from . import elections, patronage, proposals

Emit = Callable[[str, dict], None]


def open_due(session: Session, emit: Emit, *, now: datetime) -> dict:
    """Open voting on every proposal and election whose opening time has come."""
    return {
        "proposals_opened": proposals.open_due(session, emit, now=now),
        "elections_opened": elections.open_due(session, emit, now=now),
    }


def close_due(
    session: Session, emit: Emit, *, now: datetime, policy: GovernancePolicy = DEFAULT_POLICY
) -> dict:
    """Send due closing reminders, close and count what is due, settle allocations."""
    reminded = proposals.remind_due(session, emit, now=now, policy=policy)
    reminded += elections.remind_due(session, emit, now=now, policy=policy)
    closed = proposals.close_due(session, emit, now=now)
    return {
        "reminded": reminded,
        "proposals_closed": closed,
        "elections_closed": elections.close_due(session, emit, now=now),
        "allocations_settled": patronage.settle_allocations(session, emit, closed, now=now),
    }
