"""What each account wants to hear about, per category and channel.

Everything is on until switched off. Booking changes and payments are transactional: their
emails cannot be switched off (a member must learn that a booking moved or a charge failed),
so asking to is refused, naming the field. Transactional notifications of other categories
(a receipt, a legal notice of allocation) are emailed whatever the choice, too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from loconomics_plumbing.errors import Invalid
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CHANNELS, NotificationPreference
from .callers import Caller, signed_in

CATEGORIES = (
    "account",
    "booking",
    "reminders",
    "payment",
    "membership",
    "governance",
    "messages",
)
# Bound parameters per query when fanning out to every member.
_CHUNK = 500
LOCKED = frozenset({("booking", "email"), ("payment", "email")})


def _choices(session: Session, account_id: str) -> dict[str, dict[str, bool]]:
    choices = {category: {channel: True for channel in CHANNELS} for category in CATEGORIES}
    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.account_id == account_id)
    )
    for row in rows:
        if row.category in choices and (row.category, row.channel) not in LOCKED:
            choices[row.category][row.channel] = row.enabled
    return choices


def _view(choices: dict[str, dict[str, bool]]) -> dict:
    return {
        "preferences": choices,
        "locked": sorted(f"{category}.{channel}" for category, channel in LOCKED),
    }


def get_preferences(session: Session, caller: Caller) -> dict:
    return _view(_choices(session, signed_in(caller)))


def set_preferences(
    session: Session, caller: Caller, changes: dict[str, dict[str, bool]], now: datetime
) -> dict:
    """Apply the given choices; categories and channels not mentioned keep their value."""
    account_id = signed_in(caller)
    errors: dict[str, list[str]] = {}
    for category, channels in changes.items():
        for channel, enabled in channels.items():
            field = f"{category}.{channel}"
            if category not in CATEGORIES:
                errors[category] = [f"unknown category; one of {', '.join(CATEGORIES)}"]
            elif channel not in CHANNELS:
                errors[field] = [f"unknown channel; one of {', '.join(CHANNELS)}"]
            elif (category, channel) in LOCKED and not enabled:
                errors[field] = ["transactional emails cannot be switched off"]
    if errors:
        raise Invalid("some preferences cannot be set", errors)
    for category, channels in changes.items():
        for channel, enabled in channels.items():
            if (category, channel) in LOCKED:
                continue
            row = session.get(NotificationPreference, (account_id, category, channel))
            if row is None:
                row = NotificationPreference(
                    account_id=account_id, category=category, channel=channel
                )
                session.add(row)
            row.enabled = bool(enabled)
            row.updated_at = now
    session.flush()
    return _view(_choices(session, account_id))


def channels_wanted(
    session: Session, account_ids: Iterable[str], category: str, transactional: bool
) -> dict[str, set[str]]:
    """The channels each recipient gets for one notification, in one query for a fan-out."""
    ids = list(dict.fromkeys(account_ids))
    wanted = {account_id: set(CHANNELS) for account_id in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.account_id.in_(ids[start : start + _CHUNK]),
                NotificationPreference.category == category,
                NotificationPreference.enabled.is_(False),
            )
        )
        for row in rows:
            _drop_unless_forced(wanted, row, category, transactional)
    return wanted


def _drop_unless_forced(
    wanted: dict[str, set[str]], row: NotificationPreference, category: str, transactional: bool
) -> None:
    forced = (category, row.channel) in LOCKED or (transactional and row.channel == "email")
    if not forced:
        wanted[row.account_id].discard(row.channel)
