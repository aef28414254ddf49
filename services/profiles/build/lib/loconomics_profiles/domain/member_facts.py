"""Facts other services announce about a member, kept here so listings can act on them.

Booking owns schedules and billing owns owner status; profiles never asks them synchronously to
decide whether a listing may go on. Events may arrive twice or out of order, so each fact keeps
the time it occurred and an older one never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from loconomics_profiles.domain import accounts
from loconomics_profiles.domain.listings import (
    ACTIVE_OWNER,
    fall_back_to_defaults,
    refresh_readiness,
)
from loconomics_profiles.shop_models import ProfessionalSchedule

Emit = Callable[[str, dict], None]


def has_weekly_hours(weekly: Mapping[str, list] | None) -> bool:
    return bool(weekly) and any(ranges for ranges in weekly.values())


def record_schedule(session: Session, emit: Emit, professional_id: str,
                    weekly: Mapping[str, list] | None, time_zone: str | None,
                    occurred_at: datetime, now: datetime,
                    advance_notice_hours: int = 0) -> bool:
    """Apply booking's `schedule_changed`; returns False when the event is stale."""
    schedule = session.get(ProfessionalSchedule, professional_id)
    if schedule is not None and schedule.changed_at > occurred_at:
        return False
    if schedule is None:
        schedule = ProfessionalSchedule(professional_id=professional_id)
        session.add(schedule)
    schedule.has_weekly_hours = has_weekly_hours(weekly)
    schedule.time_zone = time_zone
    schedule.weekly = {day: list(ranges) for day, ranges in (weekly or {}).items()}
    schedule.advance_notice_hours = advance_notice_hours
    schedule.changed_at = occurred_at
    session.flush()
    refresh_readiness(session, emit, professional_id, now)
    return True


def record_owner_status(session: Session, emit: Emit, user_id: str, owner_status: str,
                        changed_at: datetime, now: datetime) -> bool:
    """Apply billing's `owner_status_changed`: the account keeps the status, and a member who
    is no longer an active owner loses the owner-only listing options at once. Returns False
    when the event is stale or the account unknown."""
    applied = accounts.apply_owner_status(
        session, user_id=user_id, status=owner_status, changed_at=changed_at
    )
    if applied and owner_status != ACTIVE_OWNER:
        fall_back_to_defaults(session, emit, user_id, now)
    return applied
