"""The notifications database: contacts, notifications, email deliveries, preferences, messaging.

Portable across SQLite and PostgreSQL. The one invariant the code alone cannot keep, that
messages are never changed or removed, is also enforced by triggers created with the table
(both dialects); an Alembic migration must create the same triggers (see `MESSAGE_TRIGGERS`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from loconomics_plumbing.moderation import REPORT_STATUSES
from loconomics_plumbing.storage import UtcDateTime, add_plumbing_tables
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CHANNELS = ("email", "in_app")
DELIVERY_STATUSES = ("pending", "sent", "failed", "dead")


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class Contact(Base):
    """Our own copy of an account, built from profiles' events; never read from profiles.

    `time_zone` is None until learned: profiles' events carry none, so it comes from the
    professional's schedule (booking's `schedule_changed`) or from the zone of the bookings an
    account takes part in; until then the cooperative's default zone is used.

    `closed_at` is set when the account is closed (profiles' `account_closed`): the address,
    name, language and zone are erased then, and no later event opens the contact again.
    """

    __tablename__ = "contacts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source_event_id: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class KnownBooking(Base):
    """Who is party to a booking and the revision of its calendar entry, from booking events."""

    __tablename__ = "known_bookings"

    booking_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    professional_id: Mapped[str] = mapped_column(String(64))
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_change_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_event_id: Mapped[str] = mapped_column(String(64))


class KnownService(Base):
    """A listed service's name, from profiles' listing events, so booking emails can say what
    is booked (booking events carry only the service id)."""

    __tablename__ = "known_services"

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    listing_version: Mapped[int] = mapped_column(Integer, default=0)


class BallotVoter(Base):
    """Who was on a ballot's roll when it opened, so its result reaches the same members
    (governance's closing events do not repeat the roll)."""

    __tablename__ = "ballot_voters"
    __table_args__ = (
        CheckConstraint("ballot_kind IN ('proposal', 'election')", name="ck_ballot_kind"),
    )

    ballot_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    ballot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Notification(Base):
    """One thing to tell one account on one channel; unique per source event so repeats vanish."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel", name="uq_notification_event"),
        CheckConstraint("channel IN ('email', 'in_app')", name="ck_notification_channel"),
        Index("ix_notifications_inbox", "recipient_id", "channel", "created_at", "id"),
        Index("ix_notifications_unread", "recipient_id", "channel", "read_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(80))
    event_name: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    transactional: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class EmailDelivery(Base):
    """The sending state of one email notification: retried with backoff, then dead-lettered."""

    __tablename__ = "email_deliveries"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'dead')", name="ck_email_delivery_status"
        ),
        Index("ix_email_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), unique=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class NotificationPreference(Base):
    """An account's choice for one category on one channel; no row means the default (on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'in_app')", name="ck_preference_channel"),
    )

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Conversation(Base):
    """A thread between one client and one professional, at most one per booking.

    `client_read_seq` / `professional_read_seq` are the last message number each side has
    seen, so an unread count is `message_count - read_seq` without scanning messages.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("booking_id", name="uq_conversation_booking"),
        Index("ix_conversations_client", "client_id", "last_message_at"),
        Index("ix_conversations_professional", "professional_id", "last_message_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64))
    professional_id: Mapped[str] = mapped_column(String(64))
    booking_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    client_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    professional_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Message(Base):
    """One message; append-only (no code path changes one, and triggers refuse it)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", name="uq_message_seq"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MessageWithholding(Base):
    """A message a moderator withheld (docs/reports-and-blocks.md): its own table, since
    `messages` is append-only. The message keeps its text; it is shown to nobody but its
    author (in their copy of their data) and the moderators. Restoring deletes the row."""

    __tablename__ = "message_withholdings"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    withheld_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withheld_by: Mapped[str] = mapped_column(String(64))


class MessageReport(Base):
    """A participant's report of a message they received, one per member and message.
    `details` is erased (null) when the reporter closes their account; the report stays."""

    __tablename__ = "message_reports"
    __table_args__ = (
        UniqueConstraint("message_id", "reporter_id", name="uq_message_report"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in REPORT_STATUSES) + ")",
            name="ck_message_report_status",
        ),
        Index("ix_message_reports_queue", "status", "created_at", "id"),
        Index("ix_message_reports_reporter", "reporter_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    reporter_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Block(Base):
    """One member blocking another: while it exists, neither writes to the other."""

    __tablename__ = "blocks"
    __table_args__ = (
        Index("ix_blocks_blocker", "blocker_id", "created_at"),
        Index("ix_blocks_blocked", "blocked_id"),
    )

    blocker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    blocked_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SuspendedAccount(Base):
    """Whether an account is suspended (docs/suspensions.md), our copy of profiles'
    `account_suspended` / `account_reinstated`: the newest change applied, the time it was
    made (`suspended_at` or `reinstated_at`) and the suspension it is about. A row stays once
    reinstated (`suspended` false), so a late, older event changes nothing; it goes when the
    account closes. A table of its own, not columns of `contacts`: a suspension must hold even
    before the account's contact has arrived, and a contact is never made up without one."""

    __tablename__ = "suspended_accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    suspended: Mapped[bool] = mapped_column(Boolean)
    suspension_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


MESSAGE_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages "
        "BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END",
        "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages "
        "BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION messages_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'messages are append-only'; END $$",
        "CREATE TRIGGER messages_no_change BEFORE UPDATE OR DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION messages_append_only()",
    ],
}

for _dialect, _statements in MESSAGE_TRIGGERS.items():
    for _statement in _statements:
        event.listen(
            Message.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect)
        )

add_plumbing_tables(Base.metadata)
