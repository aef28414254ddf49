"""The in-app inbox: one's own notifications, newest first, read or not.

Someone else's notification is reported as not found, never as forbidden, so ids cannot be
probed for existence.
"""

from __future__ import annotations

from datetime import datetime

from loconomics_plumbing.errors import NotFound
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Notification
from .callers import Caller, signed_in
from .content import compose, refs
from .paging import beyond, clamp_limit, decode_cursor, encode_cursor
from .wording import DEFAULT_ZONE


def inbox_item(session: Session, notification: Notification, default_zone: str) -> dict:
    """One notification as the inbox shows it (the list, one read, the member's copy)."""
    rendered = compose(session, notification, default_zone=default_zone)
    return {
        "id": notification.id,
        "kind": notification.template,
        "category": notification.category,
        "transactional": notification.transactional,
        "title": rendered.subject,
        "body": rendered.body,
        "link": rendered.link,
        "refs": refs(notification),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


def in_inbox_of(account_id: str):
    """The conditions of the account's own in-app notifications."""
    return (Notification.recipient_id == account_id, Notification.channel == "in_app")


def list_notifications(
    session: Session,
    caller: Caller,
    limit: int = 20,
    cursor: str | None = None,
    unread_only: bool = False,
    default_zone: str = DEFAULT_ZONE,
) -> dict:
    account_id = signed_in(caller)
    query = select(Notification).where(*in_inbox_of(account_id))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        created_at, notification_id = decode_cursor(cursor, datetime, str)
        query = query.where(
            beyond(Notification.created_at, Notification.id, created_at, notification_id, True)
        )
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    rows = list(session.scalars(query.limit(clamp_limit(limit) + 1)))
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return {
        "items": [inbox_item(session, n, default_zone) for n in page],
        "next_cursor": next_cursor,
        "unread_count": unread_count(session, caller),
    }


def unread_count(session: Session, caller: Caller) -> int:
    account_id = signed_in(caller)
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(*in_inbox_of(account_id), Notification.read_at.is_(None))
    )


def mark_read(
    session: Session,
    caller: Caller,
    notification_id: str,
    now: datetime,
    default_zone: str = DEFAULT_ZONE,
) -> dict:
    """Mark one's own notification read; the first read time is kept on a repeat."""
    account_id = signed_in(caller)
    notification = session.get(Notification, notification_id)
    if notification is None or (notification.recipient_id, notification.channel) != (
        account_id,
        "in_app",
    ):
        raise NotFound("no such notification")
    if notification.read_at is None:
        notification.read_at = now
        session.flush()
    return inbox_item(session, notification, default_zone)


def mark_all_read(session: Session, caller: Caller, now: datetime) -> int:
    account_id = signed_in(caller)
    result = session.execute(
        update(Notification)
        .where(*in_inbox_of(account_id), Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
