"""Closing an account (profiles' `account_closed`): what of the member we forget, and what stays.

The contact is erased and marked closed for good (`contacts.close_contact`), so nothing is
sent to the account again while the other party of a booking or a conversation still hears of
it, under `Former member`. Every notification the member had is deleted with its email
delivery, whatever its state: the inbox, the emails not sent yet, and those sent or dead too,
which hold the member's data (a welcome or a password notice keeps the address it went to)
and could otherwise be replayed to a closed account. Their preferences go as well.

Conversations stay: they are the other party's too, and so do the reports of messages
(docs/reports-and-blocks.md): the moderators' record, without what a closed reporter wrote
(`details` erased). The member's blocks, made by them or of them, are deleted, and so is our
record of whether they were suspended (docs/suspensions.md; the suspensions themselves are
profiles' record, and no later change of a closed account is kept). The goodbye
email is the event's own notification (`routing.ROUTES["account_closed"]`), made after this
runs, so it is kept; a repeated event deletes nothing of it.

A notification made for the member by another transaction in the very instant of the closure
(another copy of the service, which read the contact before the closure committed) is erased
by `erase_late_notifications`, which a timer runs every few minutes over the accounts closed in
the last hour: it is never emailed (nothing is sent to a closed contact), and it does not stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from loconomics_plumbing import report_rows
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import Contact, EmailDelivery, MessageReport, Notification, NotificationPreference
from .blocks import forget_blocks_of
from .contacts import close_contact
from .suspensions import forget_suspension_of

GOODBYE_EVENT = "account_closed"
LATE_WINDOW = timedelta(hours=1)
"""How far back `erase_late_notifications` looks for closures: far more than the instant a
late notification can be made in, and much more than the timer's period."""


def close_account(session: Session, closure: dict[str, Any]) -> None:
    """Apply one loaded `account_closed` payload; applying it again changes nothing."""
    account_id = closure["account_id"]
    close_contact(session, closure)
    _erase_notifications(session, Notification.recipient_id == account_id)
    session.execute(
        delete(NotificationPreference).where(NotificationPreference.account_id == account_id)
    )
    forget_blocks_of(session, account_id)
    forget_suspension_of(session, account_id)
    report_rows.forget_reporter_details(session, MessageReport, account_id)


def erase_late_notifications(session: Session, now: datetime) -> int:
    """Erase the notifications (with their email deliveries) of the accounts closed in the last
    `LATE_WINDOW`, the goodbye apart: those made in the instant of a closure. Returns how many."""
    recently_closed = select(Contact.account_id).where(Contact.closed_at >= now - LATE_WINDOW)
    return _erase_notifications(session, Notification.recipient_id.in_(recently_closed))


def _erase_notifications(session: Session, whose) -> int:
    theirs = (whose, Notification.event_name != GOODBYE_EVENT)
    session.execute(
        delete(EmailDelivery).where(
            EmailDelivery.notification_id.in_(select(Notification.id).where(*theirs))
        )
    )
    return session.execute(delete(Notification).where(*theirs)).rowcount
