"""What every table of reports shares (docs/reports-and-blocks.md, docs/suspensions.md).

A report row, of a review, a profile or a message, has `reporter_id`, `details`, `status`,
`created_at`, `resolved_at`, `resolved_by` and `resolution_note`. Deciding it, measuring the
queue of open ones and forgetting a closing reporter's words are the same for all of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .moderation import OPEN


def resolve(report: Any, outcome: str, moderator_id: str, note: str | None, now: datetime) -> None:
    """Record a moderator's decision on one report."""
    report.status = outcome
    report.resolved_at = now
    report.resolved_by = moderator_id
    report.resolution_note = note


def open_queue(session: Session, model: type) -> tuple[int, datetime | None]:
    """How many reports of `model` wait for a moderator, and when the oldest was made."""
    waiting, oldest = session.execute(
        select(func.count(), func.min(model.created_at)).where(model.status == OPEN)
    ).one()
    return waiting, oldest


def forget_reporter_details(session: Session, model: type, reporter_id: str) -> None:
    """A closing member's reports stay for the moderators' record, without their own words."""
    session.execute(
        update(model)
        .where(model.reporter_id == reporter_id, model.details.is_not(None))
        .values(details=None)
        .execution_options(synchronize_session="fetch")
    )
