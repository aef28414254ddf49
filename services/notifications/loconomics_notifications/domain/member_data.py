"""A member's copy of what notifications keeps about them (docs/data-export.md).

Every table of the database is named here: either the sections it feeds (`SECTIONS_BY_TABLE`)
or why it holds nothing of a member's to show (`NOTHING_TO_SHOW`); a unit test fails when a
table is in neither, so a new one cannot be forgotten.

What stays out: a one-time token an email still waiting keeps in its data (a password reset,
an address confirmation, an undo link) and every email's rendered body (which holds such a
link); only the subject, the address and the sending state of each email go in. Of the other
party of a conversation, the account id and the name shown in the app; nothing else of theirs,
not even the text of a message of theirs the moderators withheld. The member's own withheld
messages keep their text, marked withheld. The reports the member made are theirs (never who
resolved them); reports of the member's messages are not: they would tell who reported them.
"""

from __future__ import annotations

from typing import Any

from loconomics_plumbing.member_data import member_data_part
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import (
    Block,
    Contact,
    Conversation,
    EmailDelivery,
    Message,
    MessageWithholding,
    Notification,
    NotificationPreference,
)
from .callers import Caller, signed_in
from .contacts import contact_for, contacts_by_id
from .content import subject_of
from .inbox import in_inbox_of, inbox_item
from .message_reports import reports_by
from .routing import route_of
from .wording import DEFAULT_ZONE

SERVICE = "notifications"

ABOUT: dict[str, str] = {
    "contact": (
        "Our copy of your account's name, email address, language and time zone, kept from "
        "profiles' events so we can address and write your emails without asking profiles."
    ),
    "preferences": (
        "The notification choices you made, per category and channel. Anything not listed is "
        "on; booking and payment emails cannot be switched off."
    ),
    "notifications": (
        "Your in-app inbox: what we told you in the app, as you read it there, and whether "
        "you have read it."
    ),
    "email_deliveries": (
        "Each email we made for you: the address it went to, what it was about, and whether "
        "the mail server took it; kept to retry and to show it was sent. The text itself and "
        "any one-time link are not kept here."
    ),
    "conversations": (
        "Your conversations with clients or professionals, with every message both ways; "
        "kept for you and the other party, who sees the same thread. A message the "
        "moderators withheld is marked so: yours keep their text, the other party's do not."
    ),
    "blocks": (
        "The members you blocked: while a block stands, neither of you can write to the other "
        "or book the other."
    ),
    "message_reports": (
        "The messages you reported to the moderators, what you told them, and what became of "
        "each report."
    ),
}
SECTIONS = tuple(ABOUT)

SECTIONS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "contacts": ("contact", "conversations"),  # also the other party's shown name
    "notification_preferences": ("preferences",),
    "notifications": ("notifications", "email_deliveries"),
    "email_deliveries": ("email_deliveries",),
    "conversations": ("conversations",),
    "messages": ("conversations",),
    "message_withholdings": ("conversations",),
    "blocks": ("blocks",),
    "message_reports": ("message_reports",),
}
"""The tables that feed the member's sections."""

NOTHING_TO_SHOW: dict[str, str] = {
    "known_bookings": (
        "a copy of each booking's two parties and its calendar revision, kept from booking's "
        "events; the bookings themselves are in booking's part"
    ),
    "known_services": (
        "listed services' names, kept from profiles' listing events to name them in emails; "
        "keyed by service, not by member, and shown in profiles' listings"
    ),
    "ballot_voters": (
        "a copy of governance's rolls as a ballot opened, kept so its result reaches the same "
        "members; the member's own entries are governance's roll_entries, shown in its part"
    ),
    "outbox_events": (
        "events waiting for the broker (a conversation started, a message sent: ids only, "
        "never a body); the same facts are in the conversations section"
    ),
    "processed_events": "event ids already handled, so a repeated event changes nothing",
    "suspended_accounts": (
        "a copy of whether an account is suspended, kept from profiles' events so nobody writes "
        "to or from it meanwhile; the suspensions themselves (reason, note, dates) are in "
        "profiles' part"
    ),
}
"""The tables that hold nothing of a member's to show, and why."""


def _contact(session: Session, account_id: str) -> list[dict[str, Any]]:
    contact: Contact | None = contact_for(session, account_id)
    if contact is None:
        return []
    return [
        {
            "account_id": contact.account_id,
            "name": contact.name,
            "email": contact.email,
            "language": contact.language,
            "time_zone": contact.time_zone,
            "roles": list(contact.roles or []),
            "closed": contact.closed_at is not None,
            "closed_at": contact.closed_at,
            "as_of": contact.source_occurred_at,
        }
    ]


def _preferences(session: Session, account_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.account_id == account_id)
        .order_by(
            NotificationPreference.updated_at,
            NotificationPreference.category,
            NotificationPreference.channel,
        )
    )
    return [
        {
            "category": row.category,
            "channel": row.channel,
            "enabled": row.enabled,
            "updated_at": row.updated_at,
        }
        for row in rows
    ]


def _inbox(session: Session, account_id: str, default_zone: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Notification)
        .where(*in_inbox_of(account_id))
        .order_by(Notification.created_at, Notification.id)
    )
    return [inbox_item(session, notification, default_zone) for notification in rows]


def _address(notification: Notification, contact: Contact | None) -> tuple[str | None, str]:
    """Where the email went: the event's own address, or our contact's (the one we hold now:
    such an email is addressed when sent, and no copy of the address is kept with it)."""
    route = route_of(notification)
    if route.addressed_by_event:
        return notification.data.get(route.address_field), "event"
    open_contact = contact is not None and contact.closed_at is None
    return (contact.email if open_contact else None), "contact"


def _emails(session: Session, account_id: str, default_zone: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(EmailDelivery, Notification)
        .join(Notification, Notification.id == EmailDelivery.notification_id)
        .where(Notification.recipient_id == account_id, Notification.channel == "email")
        .order_by(EmailDelivery.created_at, EmailDelivery.id)
    ).all()
    contact = contact_for(session, account_id)
    records = []
    for delivery, notification in rows:
        to_email, source = _address(notification, contact)
        records.append(
            {
                "id": delivery.id,
                "template": notification.template,
                "subject": subject_of(session, notification, default_zone),
                "to_email": to_email,
                "address_source": source,
                "category": notification.category,
                "transactional": notification.transactional,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "created_at": delivery.created_at,
                "sent_at": delivery.sent_at,
                "next_attempt_at": delivery.next_attempt_at,
                "updated_at": delivery.updated_at,
            }
        )
    return records


def _other_party(conversation: Conversation, account_id: str) -> str:
    if conversation.client_id == account_id:
        return conversation.professional_id
    return conversation.client_id


def _conversations(session: Session, account_id: str) -> list[dict[str, Any]]:
    threads = list(
        session.scalars(
            select(Conversation)
            .where(
                or_(
                    Conversation.client_id == account_id,
                    Conversation.professional_id == account_id,
                )
            )
            .order_by(Conversation.created_at, Conversation.id)
        )
    )
    others = {_other_party(c, account_id) for c in threads}
    names = {k: contact.name for k, contact in contacts_by_id(session, others).items()}
    messages: dict[str, list[dict[str, Any]]] = {c.id: [] for c in threads}
    if threads:
        rows = session.execute(
            select(Message, MessageWithholding)
            .outerjoin(MessageWithholding, MessageWithholding.message_id == Message.id)
            .where(Message.conversation_id.in_(list(messages)))
            .order_by(Message.conversation_id, Message.seq)
        )
        for message, withholding in rows:
            mine = message.sender_id == account_id
            messages[message.conversation_id].append(
                {
                    "id": message.id,
                    "seq": message.seq,
                    "sender_id": message.sender_id,
                    "mine": mine,
                    "body": message.body if mine or withholding is None else None,
                    "withheld": withholding is not None,
                    "withheld_at": withholding.withheld_at if mine and withholding else None,
                    "withheld_reason": withholding.reason if mine and withholding else None,
                    "created_at": message.created_at,
                }
            )
    records = []
    for conversation in threads:
        as_client = conversation.client_id == account_id
        other = _other_party(conversation, account_id)
        read_seq = conversation.client_read_seq if as_client else conversation.professional_read_seq
        records.append(
            {
                "id": conversation.id,
                "subject": conversation.subject,
                "booking_id": conversation.booking_id,
                "my_role": "client" if as_client else "professional",
                "other_party": {"account_id": other, "name": names.get(other)},
                "message_count": conversation.message_count,
                "unread_count": conversation.message_count - read_seq,
                "created_at": conversation.created_at,
                "last_message_at": conversation.last_message_at,
                "messages": messages[conversation.id],
            }
        )
    return records


def _blocks(session: Session, account_id: str) -> list[dict[str, Any]]:
    rows = list(
        session.scalars(
            select(Block)
            .where(Block.blocker_id == account_id)
            .order_by(Block.created_at, Block.blocked_id)
        )
    )
    names = {k: c.name for k, c in contacts_by_id(session, [b.blocked_id for b in rows]).items()}
    return [
        {"account_id": b.blocked_id, "name": names.get(b.blocked_id), "blocked_at": b.created_at}
        for b in rows
    ]


def export_member_data(
    session: Session, caller: Caller, default_zone: str = DEFAULT_ZONE
) -> dict[str, Any]:
    """The caller's part: every section, empty ones included, records oldest first. Reads
    only; dates in the inbox's text are shown as the app shows them (the member's zone, else
    `default_zone`)."""
    account_id = signed_in(caller)
    records = {
        "contact": _contact(session, account_id),
        "preferences": _preferences(session, account_id),
        "notifications": _inbox(session, account_id, default_zone),
        "email_deliveries": _emails(session, account_id, default_zone),
        "conversations": _conversations(session, account_id),
        "blocks": _blocks(session, account_id),
        "message_reports": reports_by(session, account_id),
    }
    return member_data_part(SERVICE, ABOUT, records)
