"""Reports of messages, and what the moderators decide (docs/reports-and-blocks.md).

The recipient of a message (a participant who did not send it) may report it, once; its sender
gets Forbidden, anyone else NotFound (a conversation is private to its two members). A report
changes nothing by itself, and the sender is not told of it.

The moderators (administrators) read the open reports oldest first, each with the message and
up to the five messages before it: a moderator reads a conversation only this way, once one
of its participants reported a message in it. Withholding a message hides its text from both
participants (`conversations` shows it with `withheld: true` and no body) and resolves every
open report of it as upheld; its sender is told why (`message_withheld`, transactional) and
each of those reporters the outcome (`report_resolved`). Dismissing one report leaves the
message as it is and tells its reporter. Restoring a withheld message shows it again; the
reports stay resolved and nobody is told. The message's text is never changed or deleted
(`messages` is append-only): a withholding is a row of its own, and restoring deletes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from loconomics_plumbing import report_rows
from loconomics_plumbing.errors import Conflict, Forbidden, NotFound, field_error
from loconomics_plumbing.moderation import (
    DISMISSED,
    OPEN,
    REPORT_REASONS,
    REPORT_STATUSES,
    UPHELD,
)
from loconomics_plumbing.storage import hold_until_commit
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import Conversation, Message, MessageReport, MessageWithholding, new_id
from .callers import Caller, moderator, signed_in
from .paging import beyond, clamp_limit, decode_cursor, encode_cursor
from .routing import MESSAGE_REPORT_RESOLVED, MESSAGE_WITHHELD, notify

CONTEXT = 5
"""How many of the messages before a reported one the moderators see with it."""

ALREADY_REPORTED = "You already reported this message."
OWN_MESSAGE = "You cannot report your own message."
WITHHELD_ALREADY = "The moderators already withheld this message."
ALREADY_WITHHELD = "This message is already withheld."
NOT_WITHHELD = "This message is not withheld."
NOT_OPEN = "This report is already resolved."


def _check_reason(reason: str) -> None:
    if reason not in REPORT_REASONS:
        raise field_error("reason", f"must be one of {', '.join(REPORT_REASONS)}")


def report_view(report: MessageReport) -> dict[str, Any]:
    """A report as its reporter sees it."""
    return {
        "id": report.id,
        "message_id": report.message_id,
        "conversation_id": report.conversation_id,
        "reason": report.reason,
        "details": report.details,
        "status": report.status,
        "created_at": report.created_at,
        "resolved_at": report.resolved_at,
    }


def report_message(
    session: Session,
    caller: Caller,
    *,
    conversation_id: str,
    message_id: str,
    reason: str,
    details: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """The caller reports a message they received; one report per member and message."""
    me = signed_in(caller)
    conversation = session.get(Conversation, conversation_id)
    message = session.get(Message, message_id)
    if (
        conversation is None
        or me not in (conversation.client_id, conversation.professional_id)
        or message is None
        or message.conversation_id != conversation.id
    ):
        raise NotFound("no such message")
    if message.sender_id == me:
        raise Forbidden(OWN_MESSAGE)
    _check_reason(reason)
    # a report made in the instant of a withholding is refused or upheld by it, never left open
    hold_until_commit(session, _withholding_key(message.id))
    reported = session.scalar(
        select(MessageReport.id).where(
            MessageReport.message_id == message.id, MessageReport.reporter_id == me
        )
    )
    if reported is not None:
        raise Conflict(ALREADY_REPORTED)
    if session.get(MessageWithholding, message.id) is not None:
        raise Conflict(WITHHELD_ALREADY)
    report = MessageReport(
        message_id=message.id,
        conversation_id=conversation.id,
        reporter_id=me,
        reason=reason,
        details=details,
        status=OPEN,
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report_view(report)


# ---- the moderators ------------------------------------------------------------------------


def _moderator_messages(session: Session, messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as the moderators see them: always the text, the withholding, the reports."""
    ids = [m.id for m in messages]
    withholdings: dict[str, MessageWithholding] = {}
    counts: dict[str, int] = {}
    if ids:
        withholdings = {
            w.message_id: w
            for w in session.scalars(
                select(MessageWithholding).where(MessageWithholding.message_id.in_(ids))
            )
        }
        counts = dict(
            session.execute(
                select(MessageReport.message_id, func.count())
                .where(MessageReport.message_id.in_(ids))
                .group_by(MessageReport.message_id)
            ).all()
        )
    views = []
    for message in messages:
        withholding = withholdings.get(message.id)
        views.append(
            {
                "id": message.id,
                "conversation_id": message.conversation_id,
                "seq": message.seq,
                "sender_id": message.sender_id,
                "body": message.body,
                "created_at": message.created_at,
                "withheld_at": withholding.withheld_at if withholding else None,
                "withheld_reason": withholding.reason if withholding else None,
                "withheld_note": withholding.note if withholding else None,
                "report_count": counts.get(message.id, 0),
            }
        )
    return views


def _moderator_message(session: Session, message: Message) -> dict[str, Any]:
    return _moderator_messages(session, [message])[0]


def _context(session: Session, message: Message) -> list[Message]:
    """Up to `CONTEXT` messages before `message` in its conversation, oldest first (messages
    are numbered 1, 2, 3... without gaps)."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == message.conversation_id,
                Message.seq < message.seq,
                Message.seq >= message.seq - CONTEXT,
            )
            .order_by(Message.seq)
        )
    )


def _with_message(report: MessageReport, message_view: dict[str, Any]) -> dict[str, Any]:
    """A report as the moderators see it, with the message's moderator view."""
    return {
        **report_view(report),
        "reporter_id": report.reporter_id,
        "resolved_by": report.resolved_by,
        "resolution_note": report.resolution_note,
        "message": message_view,
    }


def _moderator_report(
    session: Session, report: MessageReport, message: Message | None = None
) -> dict[str, Any]:
    message = message or session.get(Message, report.message_id)
    return _with_message(report, _moderator_message(session, message))


def list_message_reports(
    session: Session,
    caller: Caller,
    status: str = OPEN,
    limit: int = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The queue: reports in one status, oldest first, each with the message and its context."""
    moderator(caller)
    if status not in REPORT_STATUSES:
        raise field_error("status", f"must be one of {', '.join(REPORT_STATUSES)}")
    query = select(MessageReport).where(MessageReport.status == status)
    if cursor:
        created_at, report_id = decode_cursor(cursor, datetime, str)
        query = query.where(
            beyond(MessageReport.created_at, MessageReport.id, created_at, report_id, False)
        )
    query = query.order_by(MessageReport.created_at, MessageReport.id)
    rows = list(session.scalars(query.limit(clamp_limit(limit) + 1)))
    page = rows[:limit]
    messages = {
        m.id: m
        for m in session.scalars(
            select(Message).where(Message.id.in_({r.message_id for r in page}))
        )
    }
    contexts = {report.id: _context(session, messages[report.message_id]) for report in page}
    shown = {m.id: m for m in messages.values()}
    shown.update((m.id, m) for context in contexts.values() for m in context)
    views = {view["id"]: view for view in _moderator_messages(session, list(shown.values()))}
    items = [
        {
            **_with_message(report, views[report.message_id]),
            "context": [views[m.id] for m in contexts[report.id]],
        }
        for report in page
    ]
    return {
        "items": items,
        "next_cursor": (
            encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
        ),
    }


def _withholding_key(message_id: str) -> str:
    return f"notifications-withholding:{message_id}"


def _held_message(session: Session, message_id: str) -> Message:
    """The message, its withholding written by one moderator at a time."""
    hold_until_commit(session, _withholding_key(message_id))
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("no such message")
    return message


def _sender_role(conversation: Conversation, message: Message) -> tuple[str, str]:
    """(the sender's side, the other participant)."""
    if message.sender_id == conversation.client_id:
        return "client", conversation.professional_id
    return "professional", conversation.client_id


def _tell_reporters(
    session: Session,
    reports: Iterable[MessageReport],
    conversation: Conversation,
    message: Message,
    now: datetime,
) -> None:
    for report in reports:
        notify(
            session,
            MESSAGE_REPORT_RESOLVED,
            f"report-resolved:{report.id}",
            "message_report_resolved",
            [
                (
                    report.reporter_id,
                    "member",
                    {
                        "kind": "message",
                        "report_id": report.id,
                        "conversation_id": conversation.id,
                        "message_id": message.id,
                        "subject": conversation.subject,
                        "sender_id": message.sender_id,
                        "outcome": report.status,
                        "note": report.resolution_note,
                        "resolved_at": report.resolved_at.isoformat(),
                    },
                )
            ],
            now,
        )


def withhold_message(
    session: Session,
    caller: Caller,
    *,
    message_id: str,
    reason: str,
    note: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Withhold a message: every open report of it is upheld, its sender and those reporters
    are told. A message already withheld is a Conflict."""
    admin = moderator(caller)
    _check_reason(reason)
    message = _held_message(session, message_id)
    if session.get(MessageWithholding, message.id) is not None:
        raise Conflict(ALREADY_WITHHELD)
    session.add(
        MessageWithholding(
            message_id=message.id, reason=reason, note=note, withheld_at=now, withheld_by=admin
        )
    )
    reports = list(
        session.scalars(
            select(MessageReport)
            .where(MessageReport.message_id == message.id, MessageReport.status == OPEN)
            .order_by(MessageReport.created_at, MessageReport.id)
            .with_for_update()
        )
    )
    for report in reports:
        report_rows.resolve(report, UPHELD, admin, note, now)
    session.flush()
    conversation = session.get(Conversation, message.conversation_id)
    role, other = _sender_role(conversation, message)
    notify(
        session,
        MESSAGE_WITHHELD,
        f"message-withheld:{new_id()}",
        "message_withheld",
        [
            (
                message.sender_id,
                role,
                {
                    "conversation_id": conversation.id,
                    "message_id": message.id,
                    "subject": conversation.subject,
                    "other_id": other,
                    "sent_at": message.created_at.isoformat(),
                    "reason": reason,
                    "note": note,
                    "withheld_at": now.isoformat(),
                },
            )
        ],
        now,
    )
    _tell_reporters(session, reports, conversation, message, now)
    return _moderator_message(session, message)


def restore_message(session: Session, caller: Caller, message_id: str) -> dict[str, Any]:
    """Show a withheld message again (a moderator's mistake); its reports stay resolved and
    nobody is told. A message not withheld is a Conflict."""
    moderator(caller)
    message = _held_message(session, message_id)
    removed = session.execute(
        delete(MessageWithholding).where(MessageWithholding.message_id == message.id)
    )
    if not removed.rowcount:
        raise Conflict(NOT_WITHHELD)
    session.flush()
    return _moderator_message(session, message)


def dismiss_message_report(
    session: Session, caller: Caller, report_id: str, note: str | None, now: datetime
) -> dict[str, Any]:
    """Dismiss one open report: the message stays, its reporter is told."""
    admin = moderator(caller)
    report = session.get(MessageReport, report_id)
    if report is None:
        raise NotFound("no such report")
    # one decision at a time about a message: a withholding upholds this report or waits
    hold_until_commit(session, _withholding_key(report.message_id))
    session.refresh(report)
    if report.status != OPEN:
        raise Conflict(NOT_OPEN)
    report_rows.resolve(report, DISMISSED, admin, note, now)
    session.flush()
    message = session.get(Message, report.message_id)
    conversation = session.get(Conversation, report.conversation_id)
    _tell_reporters(session, [report], conversation, message, now)
    return _moderator_report(session, report, message)


def open_queue(session: Session) -> tuple[int, datetime | None]:
    """How many reports wait for a moderator, and when the oldest of them was made."""
    return report_rows.open_queue(session, MessageReport)


# ---- the member's copy ---------------------------------------------------------------------


def reports_by(session: Session, account_id: str) -> list[dict[str, Any]]:
    """The reports a member made, oldest first, as they see them (never who resolved them)."""
    rows = session.scalars(
        select(MessageReport)
        .where(MessageReport.reporter_id == account_id)
        .order_by(MessageReport.created_at, MessageReport.id)
    )
    return [report_view(report) for report in rows]
