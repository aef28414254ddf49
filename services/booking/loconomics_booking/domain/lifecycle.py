"""The states a booking goes through and the only moves allowed between them.

    requested ──confirm──▶ confirmed ──(end time)──▶ performed ──confirm / 72 h──▶ completed
        │  ╲                  │    ╲                     │  ╲
     decline expire        cancel  no-show           dispute no-show
        ▼     ▼               ▼      ▼                   ▼     ▼
    declined expired      cancelled cancelled        disputed cancelled
                                                         │
                                        admin resolves: completed or cancelled

A request cancelled by its client becomes `cancelled`. Rescheduling keeps the
state (a confirmed booking stays confirmed at its new time). The table is the one
authority: every state change in `bookings` and `due_work` goes through `move`.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from loconomics_plumbing.errors import Conflict


class Status(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    PERFORMED = "performed"
    COMPLETED = "completed"
    DISPUTED = "disputed"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset(
        {Status.CONFIRMED, Status.DECLINED, Status.EXPIRED, Status.CANCELLED}
    ),
    Status.CONFIRMED: frozenset({Status.CANCELLED, Status.PERFORMED}),
    Status.PERFORMED: frozenset({Status.COMPLETED, Status.DISPUTED, Status.CANCELLED}),
    Status.DISPUTED: frozenset({Status.COMPLETED, Status.CANCELLED}),
    Status.DECLINED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.COMPLETED: frozenset(),
}

HOLDING = (Status.CONFIRMED, Status.PERFORMED, Status.COMPLETED, Status.DISPUTED)
"""States whose booking holds its professional's time: the no-overlap invariant covers these.

A request does not hold time: a professional may receive several requests for one
popular hour and confirm one; the others then fail to confirm with a conflict.
"""

OPEN = (Status.REQUESTED, Status.CONFIRMED)
"""States a booking can still be cancelled or rescheduled from."""

UNFINISHED = (Status.REQUESTED, Status.CONFIRMED, Status.PERFORMED, Status.DISPUTED)
"""States a booking has not ended in yet: an account with one of these cannot be closed.

The others (completed, cancelled, declined, expired) are final.
"""

REQUEST_LIFETIME = timedelta(hours=72)
REMINDER_BEFORE = timedelta(hours=48)
AUTO_COMPLETE_AFTER = timedelta(hours=72)
"""A performed booking nobody disputes is completed this long after its end."""
REVIEW_REQUEST_AFTER = timedelta(days=7)
"""The review request goes out one week after the end (the service was performed)."""
RESCHEDULE_LIFETIME = timedelta(hours=72)


def can_move(current: Status | str, target: Status | str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def move(current: Status | str, target: Status | str) -> Status:
    """The target state, or Conflict naming why the booking cannot get there from here."""
    if not can_move(current, target):
        raise Conflict(
            f"A {Status(current).value} booking cannot become {Status(target).value}.",
            {"status": [f"is {Status(current).value}"]},
        )
    return Status(target)
