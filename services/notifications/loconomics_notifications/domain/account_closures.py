"""Closing an account (profiles' `account_closed`): what of the member we forget, and what stays.

The contact is erased and marked closed for good (`contacts.close_contact`), so nothing is
sent to the account again while the other party of a booking or a conversation still hears of
it, under `Former member`. Every notification the member had is deleted with its email
delivery, whatever its state: the inbox, the emails not sent yet, and those sent or dead too,
which hold the member's data (a welcome or a password notice keeps the address it went to)
and could otherwise be replayed to a closed account. Their preferences go as well.

Conversations stay: they are the other party's too. The goodbye email is the event's own
notification (`routing.ROUTES["account_closed"]`), made after this runs, so it is kept;
a repeated event deletes nothing of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import EmailDelivery, Notification, NotificationPreference
from .contacts import close_contact

GOODBYE_EVENT = "account_closed"


def close_account(session: Session, closure: dict[str, Any]) -> None:
    """Apply one loaded `account_closed` payload; applying it again changes nothing."""
    account_id = closure["account_id"]
    close_contact(session, closure)
    theirs = (Notification.recipient_id == account_id, Notification.event_name != GOODBYE_EVENT)
    session.execute(
        delete(EmailDelivery).where(
            EmailDelivery.notification_id.in_(select(Notification.id).where(*theirs))
        )
    )
    session.execute(delete(Notification).where(*theirs))
    session.execute(
        delete(NotificationPreference).where(NotificationPreference.account_id == account_id)
    )
