"""Conversations between a client and a professional, optionally about one booking.

Messages are append-only: this module has no way to change or remove one, and the database
refuses it too (triggers in `models`). Only the two participants can see a conversation; to
anyone else it does not exist (NotFound rather than Forbidden, so ids cannot be probed).
Each message tells the other side through a `message_received` notification, in the inbox
and by email as their preferences say.

A conversation with a member who closed their account stays for the other party, the closed
one shown as `Former member` (our erased contact's name); nobody writes to or from a closed
account any more (Conflict). Nor to or from a suspended account (`suspensions`, Conflict worded
for the writer's side), nor across a block, either way (`blocks`, likewise); what was written
stays readable. A summary says whether the reader can write (`can_write`), whether they blocked
the other party (`blocked_by_me`) and whether the other party is suspended (`other_suspended`).

A message a moderator withheld (`message_reports`) stays in the thread for both participants
with `withheld: true` and no body: the text is kept (messages never change), shown to nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from loconomics_plumbing.errors import Conflict, NotFound, field_error
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Conversation, Message, MessageWithholding
from .blocks import blocks_among, refuse_across_block
from .callers import Caller, signed_in
from .contacts import closed_accounts, contact_for, contacts_by_id, hold_contacts
from .known_bookings import booking_parties
from .paging import beyond, clamp_limit, decode_cursor, encode_cursor
from .routing import MESSAGE_RECEIVED, notify
from .suspensions import refuse_suspended, suspended_among

Emit = Callable[[str, dict], None]
EXCERPT_LENGTH = 280
CLOSED = "This member has closed their account."


def _role_in(conversation: Conversation, account_id: str) -> str | None:
    if conversation.client_id == account_id:
        return "client"
    if conversation.professional_id == account_id:
        return "professional"
    return None


def _visible(session: Session, caller: Caller, conversation_id: str) -> tuple[Conversation, str]:
    account_id = signed_in(caller)
    conversation = session.get(Conversation, conversation_id)
    role = _role_in(conversation, account_id) if conversation else None
    if conversation is None or role is None:
        raise NotFound("no such conversation")
    return conversation, role


class _Standing:
    """What the reader may do in their conversations: who is closed, who is suspended, who is
    blocked."""

    def __init__(self, session: Session, me: str, conversations: list[Conversation]):
        everyone = {c.client_id for c in conversations} | {c.professional_id for c in conversations}
        self.closed = closed_accounts(session, everyone)
        self.suspended = suspended_among(session, everyone | {me})
        self.blocked_by_me, self.blocking_me = blocks_among(session, me, everyone - {me})

    def can_write(self, conversation: Conversation, other: str) -> bool:
        parties = {conversation.client_id, conversation.professional_id}
        blocked = other in self.blocked_by_me or other in self.blocking_me
        return not (parties & self.closed) and not (parties & self.suspended) and not blocked


def _summary(
    conversation: Conversation, role: str, names: dict[str, str], standing: _Standing
) -> dict:
    other = conversation.professional_id if role == "client" else conversation.client_id
    read_seq = (
        conversation.client_read_seq if role == "client" else conversation.professional_read_seq
    )
    return {
        "id": conversation.id,
        "subject": conversation.subject,
        "booking_id": conversation.booking_id,
        "my_role": role,
        "other_party": {"account_id": other, "name": names.get(other)},
        "message_count": conversation.message_count,
        "unread_count": conversation.message_count - read_seq,
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "can_write": standing.can_write(conversation, other),
        "blocked_by_me": other in standing.blocked_by_me,
        "other_suspended": other in standing.suspended,
    }


def _summary_of(session: Session, conversation: Conversation, me: str) -> dict:
    names = _names(session, [conversation.client_id, conversation.professional_id])
    role = _role_in(conversation, me)
    return _summary(conversation, role, names, _Standing(session, me, [conversation]))


def _names(session: Session, account_ids: list[str]) -> dict[str, str]:
    return {k: c.name for k, c in contacts_by_id(session, account_ids).items()}


def _open_to_messages(session: Session, client_id: str, professional_id: str, writer: str) -> None:
    """Refuse a new message when either side has closed their account, is suspended, or blocked
    the other (in that order). Both contacts are held until commit, so a closure, a suspension
    or a block made in the same instant is either seen here or waits for the message."""
    hold_contacts(session, (client_id, professional_id))
    if closed_accounts(session, [client_id, professional_id]):
        raise Conflict(CLOSED)
    other = professional_id if writer == client_id else client_id
    refuse_suspended(session, writer, other)
    refuse_across_block(session, writer, other)


def withheld_among(session: Session, message_ids: list[str]) -> set[str]:
    """Those of the messages a moderator withheld."""
    if not message_ids:
        return set()
    return set(
        session.scalars(
            select(MessageWithholding.message_id).where(
                MessageWithholding.message_id.in_(message_ids)
            )
        )
    )


def _as_message(message: Message, reader_id: str, withheld: bool = False) -> dict:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender_id": message.sender_id,
        "mine": message.sender_id == reader_id,
        "body": None if withheld else message.body,
        "withheld": withheld,
        "created_at": message.created_at,
    }


def _sides(session: Session, caller: Caller, to: str, booking_id: str | None) -> tuple[str, str]:
    """(client_id, professional_id) for a new conversation, checked against what we know."""
    me = signed_in(caller)
    if to == me:
        raise field_error("to", "cannot start a conversation with yourself")
    if booking_id is not None:
        parties = booking_parties(session, booking_id)
        if parties is None or me not in parties:
            raise field_error("booking_id", "no such booking of yours")
        if to not in parties:
            raise field_error("to", "is not the other party of this booking")
        return parties
    other = contact_for(session, to)
    if other is None:
        raise field_error("to", "no such account")
    if "client" in caller.roles and "professional" in other.roles:
        return me, to
    if "professional" in caller.roles and "client" in other.roles:
        return to, me
    raise field_error("to", "conversations are between a client and a professional")


def _append(
    session: Session,
    conversation: Conversation,
    sender_id: str,
    body: str,
    now: datetime,
    emit: Emit,
) -> Message:
    if not body.strip():
        raise field_error("body", "must not be blank")
    sender_is_client = sender_id == conversation.client_id
    read_column = "client_read_seq" if sender_is_client else "professional_read_seq"
    # One atomic UPDATE numbers the message, so concurrent posts never share a number.
    seq = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(
            message_count=Conversation.message_count + 1,
            last_message_at=now,
            **{read_column: Conversation.message_count + 1},
        )
        .returning(Conversation.message_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.expire(conversation)
    message = Message(
        conversation_id=conversation.id, seq=seq, sender_id=sender_id, body=body, created_at=now
    )
    session.add(message)
    session.flush()
    recipient_id = conversation.professional_id if sender_is_client else conversation.client_id
    recipient_role = "professional" if sender_is_client else "client"
    excerpt = body if len(body) <= EXCERPT_LENGTH else body[: EXCERPT_LENGTH - 1] + "…"
    notify(
        session,
        MESSAGE_RECEIVED,
        f"message:{message.id}",
        "message_received",
        [
            (
                recipient_id,
                recipient_role,
                {
                    "conversation_id": conversation.id,
                    "message_id": message.id,
                    "sender_id": sender_id,
                    "subject": conversation.subject,
                    "excerpt": excerpt,
                },
            )
        ],
        now,
    )
    emit(
        "message_sent",
        {
            "conversation_id": conversation.id,
            "message_id": message.id,
            "seq": seq,
            "sender_id": sender_id,
            "recipient_id": recipient_id,
        },
    )
    return message


def start_conversation(
    session: Session,
    caller: Caller,
    *,
    to: str,
    subject: str,
    body: str,
    booking_id: str | None,
    now: datetime,
    emit: Emit,
) -> dict[str, Any]:
    """Open a conversation with its first message; about a booking, reuse the one it has."""
    client_id, professional_id = _sides(session, caller, to, booking_id)
    me = signed_in(caller)
    _open_to_messages(session, client_id, professional_id, me)
    conversation = None
    if booking_id is not None:
        conversation = session.scalars(
            select(Conversation).where(Conversation.booking_id == booking_id)
        ).first()
    if conversation is None:
        if not subject.strip():
            raise field_error("subject", "must not be blank")
        conversation = Conversation(
            client_id=client_id,
            professional_id=professional_id,
            booking_id=booking_id,
            subject=subject.strip(),
            message_count=0,
            client_read_seq=0,
            professional_read_seq=0,
            created_at=now,
            last_message_at=now,
        )
        session.add(conversation)
        session.flush()
        emit(
            "conversation_started",
            {
                "conversation_id": conversation.id,
                "client_id": client_id,
                "professional_id": professional_id,
                "booking_id": booking_id,
            },
        )
    message = _append(session, conversation, me, body, now, emit)
    return {
        "conversation": _summary_of(session, conversation, me),
        "message": _as_message(message, me),
    }


def post_message(
    session: Session, caller: Caller, conversation_id: str, body: str, now: datetime, emit: Emit
) -> dict:
    conversation, _ = _visible(session, caller, conversation_id)
    me = signed_in(caller)
    _open_to_messages(session, conversation.client_id, conversation.professional_id, me)
    return _as_message(_append(session, conversation, me, body, now, emit), me)


def list_conversations(
    session: Session, caller: Caller, limit: int = 20, cursor: str | None = None
) -> dict:
    """One's conversations, latest activity first, each with its unread count."""
    me = signed_in(caller)
    query = select(Conversation).where(
        or_(Conversation.client_id == me, Conversation.professional_id == me)
    )
    if cursor:
        last_at, conversation_id = decode_cursor(cursor, datetime, str)
        query = query.where(
            beyond(Conversation.last_message_at, Conversation.id, last_at, conversation_id, True)
        )
    query = query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    rows = list(session.scalars(query.limit(clamp_limit(limit) + 1)))
    page = rows[:limit]
    names = _names(session, [c.client_id for c in page] + [c.professional_id for c in page])
    standing = _Standing(session, me, page)
    return {
        "items": [_summary(c, _role_in(c, me), names, standing) for c in page],
        "next_cursor": (
            encode_cursor(page[-1].last_message_at, page[-1].id) if len(rows) > limit else None
        ),
    }


def get_conversation(
    session: Session,
    caller: Caller,
    conversation_id: str,
    limit: int = 20,
    cursor: str | None = None,
) -> dict:
    """A conversation and a page of its messages, newest first."""
    conversation, _ = _visible(session, caller, conversation_id)
    me = signed_in(caller)
    query = select(Message).where(Message.conversation_id == conversation.id)
    if cursor:
        (before_seq,) = decode_cursor(cursor, int)
        query = query.where(Message.seq < before_seq)
    rows = list(session.scalars(query.order_by(Message.seq.desc()).limit(clamp_limit(limit) + 1)))
    page = rows[:limit]
    withheld = withheld_among(session, [m.id for m in page])
    return {
        "conversation": _summary_of(session, conversation, me),
        "messages": {
            "items": [_as_message(m, me, m.id in withheld) for m in page],
            "next_cursor": encode_cursor(page[-1].seq) if len(rows) > limit else None,
        },
    }


def mark_conversation_read(session: Session, caller: Caller, conversation_id: str) -> dict:
    """Everything in the conversation so far counts as seen by the caller."""
    conversation, role = _visible(session, caller, conversation_id)
    if role == "client":
        conversation.client_read_seq = conversation.message_count
    else:
        conversation.professional_read_seq = conversation.message_count
    session.flush()
    return _summary_of(session, conversation, signed_in(caller))


def unread_messages(session: Session, caller: Caller) -> int:
    """Messages waiting for the caller across all their conversations."""
    me = signed_in(caller)
    unread = case(
        (
            Conversation.client_id == me,
            Conversation.message_count - Conversation.client_read_seq,
        ),
        else_=Conversation.message_count - Conversation.professional_read_seq,
    )
    total = session.scalar(
        select(func.coalesce(func.sum(unread), 0)).where(
            or_(Conversation.client_id == me, Conversation.professional_id == me)
        )
    )
    return int(total)
