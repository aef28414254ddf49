"""Notifications, preferences and messaging (the notifications service), plus the operators'
dead-letter list, a member's blocks, reports of messages and the moderators' answers to them
(docs/reports-and-blocks.md). Each route is one RPC; the service decides who may see what
(another member's conversation or notification is a 404, never a 403; the moderation routes
are for administrators)."""

from __future__ import annotations

from loconomics_notifications.schemas import (
    BlockPageSchema,
    BlockSchema,
    ConversationDetailSchema,
    ConversationPageSchema,
    ConversationSchema,
    DeliveryPageSchema,
    ListNotificationsArgsSchema,
    MarkedCountSchema,
    MessageReportPageSchema,
    MessageReportSchema,
    MessageSchema,
    ModeratorMessageReportSchema,
    ModeratorMessageSchema,
    NotificationPageSchema,
    NotificationSchema,
    PageArgsSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
    ReplayArgsSchema,
    ReplayResultSchema,
    StartConversationArgsSchema,
    StartedConversationSchema,
    UnreadCountSchema,
)
from loconomics_plumbing.moderation import (
    DismissalArgsSchema,
    RemovalArgsSchema,
    ReportArgsSchema,
    ReportQueueArgsSchema,
)
from loconomics_plumbing.validation import StrictSchema
from marshmallow import fields, validate

from ..operations import Call, Operation, Reply

TAG = "Notifications and messaging"
OPERATORS = "Operations"
ADMIN = "Administration"


class MessageBodySchema(StrictSchema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "The message.", "example": "See you at 3."},
    )


def list_my_notifications(call: Call) -> dict:
    return call.rpc("notifications", "list_notifications", **call.query)


def mark_notification_read(call: Call) -> dict:
    return call.rpc("notifications", "mark_read", notification_id=call.params["notification_id"])


def mark_all_notifications_read(call: Call) -> dict:
    return call.rpc("notifications", "mark_all_read")


def count_unread_notifications(call: Call) -> dict:
    return call.rpc("notifications", "unread_count")


def get_notification_preferences(call: Call) -> dict:
    return call.rpc("notifications", "get_preferences")


def set_notification_preferences(call: Call) -> dict:
    return call.rpc("notifications", "set_preferences", **call.body)


def list_conversations(call: Call) -> dict:
    return call.rpc("notifications", "list_conversations", **call.query)


def start_conversation(call: Call) -> dict:
    return call.rpc("notifications", "start_conversation", **call.body)


def get_conversation(call: Call) -> dict:
    return call.rpc(
        "notifications",
        "get_conversation",
        conversation_id=call.params["conversation_id"],
        **call.query,
    )


def post_message(call: Call) -> dict:
    return call.rpc(
        "notifications",
        "post_message",
        conversation_id=call.params["conversation_id"],
        **call.body,
    )


def mark_conversation_read(call: Call) -> dict:
    return call.rpc(
        "notifications", "mark_conversation_read", conversation_id=call.params["conversation_id"]
    )


def block_member(call: Call) -> dict:
    return call.rpc("notifications", "block_member", account_id=call.params["account_id"])


def unblock_member(call: Call) -> Reply:
    call.rpc("notifications", "unblock_member", account_id=call.params["account_id"])
    return Reply(status=204)


def list_my_blocks(call: Call) -> dict:
    return call.rpc("notifications", "list_blocks", **call.query)


def report_message(call: Call) -> dict:
    return call.rpc(
        "notifications",
        "report_message",
        conversation_id=call.params["conversation_id"],
        message_id=call.params["message_id"],
        **call.body,
    )


def list_message_reports(call: Call) -> dict:
    return call.rpc("notifications", "list_message_reports", **call.query)


def withhold_message(call: Call) -> dict:
    return call.rpc("notifications", "withhold_message", message_id=call.params["id"], **call.body)


def restore_message(call: Call) -> dict:
    return call.rpc("notifications", "restore_message", message_id=call.params["id"])


def dismiss_message_report(call: Call) -> dict:
    return call.rpc(
        "notifications", "dismiss_message_report", report_id=call.params["id"], **call.body
    )


def list_email_dead_letters(call: Call) -> dict:
    return call.rpc("notifications", "list_dead_deliveries", **call.query)


def replay_email_dead_letters(call: Call) -> dict:
    return call.rpc("notifications", "replay_dead_deliveries", **call.body)


OPERATIONS = [
    Operation(
        "GET",
        "/v1/me/notifications",
        "My notifications, newest first (`unread_only=true` for the unread ones)",
        list_my_notifications,
        tag=TAG,
        query=ListNotificationsArgsSchema,
        response=NotificationPageSchema,
        errors=(422,),
    ),
    Operation(
        "POST",
        "/v1/me/notifications/{notification_id}/read",
        "Mark one of my notifications read",
        mark_notification_read,
        tag=TAG,
        response=NotificationSchema,
        errors=(404,),
    ),
    Operation(
        "POST",
        "/v1/me/notifications/read-all",
        "Mark all my notifications read",
        mark_all_notifications_read,
        tag=TAG,
        response=MarkedCountSchema,
    ),
    Operation(
        "GET",
        "/v1/me/notifications/unread-count",
        "How many of my notifications are unread",
        count_unread_notifications,
        tag=TAG,
        response=UnreadCountSchema,
    ),
    Operation(
        "GET",
        "/v1/me/notification-preferences",
        "My notification choices per category and channel",
        get_notification_preferences,
        tag=TAG,
        response=PreferencesSchema,
    ),
    Operation(
        "PUT",
        "/v1/me/notification-preferences",
        "Change my notification choices (booking and payment emails stay on)",
        set_notification_preferences,
        tag=TAG,
        body=PreferencesUpdateSchema,
        response=PreferencesSchema,
        errors=(422,),
    ),
    Operation(
        "GET",
        "/v1/conversations",
        "My conversations, latest activity first, with unread counts",
        list_conversations,
        tag=TAG,
        query=PageArgsSchema,
        response=ConversationPageSchema,
        errors=(422,),
    ),
    Operation(
        "POST",
        "/v1/conversations",
        "Write to a client or professional (about a booking, reusing its conversation)",
        start_conversation,
        tag=TAG,
        body=StartConversationArgsSchema,
        response=StartedConversationSchema,
        status=201,
        errors=(409, 422),
        description="The other party has closed their account: 409.",
    ),
    Operation(
        "GET",
        "/v1/conversations/{conversation_id}",
        "A conversation of mine and a page of its messages, newest first",
        get_conversation,
        tag=TAG,
        query=PageArgsSchema,
        response=ConversationDetailSchema,
        errors=(404, 422),
    ),
    Operation(
        "POST",
        "/v1/conversations/{conversation_id}/messages",
        "Add a message to a conversation of mine",
        post_message,
        tag=TAG,
        body=MessageBodySchema,
        response=MessageSchema,
        status=201,
        errors=(404, 409, 422),
        description="The other party has closed their account: 409; the conversation stays.",
    ),
    Operation(
        "POST",
        "/v1/conversations/{conversation_id}/read",
        "Mark a conversation of mine read up to its latest message",
        mark_conversation_read,
        tag=TAG,
        response=ConversationSchema,
        errors=(404,),
    ),
    Operation(
        "PUT",
        "/v1/me/blocks/{account_id}",
        "Block a member: neither of you can write to the other, nor book the other",
        block_member,
        tag=TAG,
        response=BlockSchema,
        errors=(404, 422),
        description="Idempotent: blocking again answers the same block. An account we do not "
        "know: 404; yourself: 422. Conversations already there stay readable.",
    ),
    Operation(
        "DELETE",
        "/v1/me/blocks/{account_id}",
        "Unblock a member",
        unblock_member,
        tag=TAG,
        status=204,
        errors=(404,),
        description="404 when you had not blocked them.",
    ),
    Operation(
        "GET",
        "/v1/me/blocks",
        "The members I blocked, newest first",
        list_my_blocks,
        tag=TAG,
        query=PageArgsSchema,
        response=BlockPageSchema,
        errors=(422,),
    ),
    Operation(
        "POST",
        "/v1/conversations/{conversation_id}/messages/{message_id}/reports",
        "Report a message I received to the moderators",
        report_message,
        tag=TAG,
        body=ReportArgsSchema,
        response=MessageReportSchema,
        status=201,
        errors=(403, 404, 409, 422),
        description="Only its recipient may report a message: your own is 403, a conversation "
        "not yours 404. One report per message: a second is 409. Nothing changes until a "
        "moderator decides, and its sender is not told.",
    ),
    Operation(
        "GET",
        "/v1/admin/message-reports",
        "Reports of messages in one status, oldest first, each with the message and the five "
        "before it (moderators)",
        list_message_reports,
        tag=ADMIN,
        query=ReportQueueArgsSchema,
        response=MessageReportPageSchema,
        errors=(403, 422),
    ),
    Operation(
        "POST",
        "/v1/admin/messages/{id}/withholding",
        "Withhold a message: its text is hidden from both participants, its open reports "
        "upheld (moderators)",
        withhold_message,
        tag=ADMIN,
        body=RemovalArgsSchema,
        response=ModeratorMessageSchema,
        errors=(403, 404, 409, 422),
        description="Its sender is told the reason and the note, each reporter the outcome. "
        "Already withheld: 409.",
    ),
    Operation(
        "DELETE",
        "/v1/admin/messages/{id}/withholding",
        "Show a withheld message again (moderators)",
        restore_message,
        tag=ADMIN,
        response=ModeratorMessageSchema,
        errors=(403, 404, 409),
        description="Its reports stay resolved; nobody is told. Not withheld: 409.",
    ),
    Operation(
        "POST",
        "/v1/admin/message-reports/{id}/dismissal",
        "Dismiss a report of a message: the message stays (moderators)",
        dismiss_message_report,
        tag=ADMIN,
        body=DismissalArgsSchema,
        response=ModeratorMessageReportSchema,
        errors=(403, 404, 409, 422),
        description="The reporter is told, with the note. A report already resolved: 409.",
    ),
    Operation(
        "GET",
        "/v1/admin/email-dead-letters",
        "Emails given up on (after the last retry or a permanent refusal), oldest first",
        list_email_dead_letters,
        tag=OPERATORS,
        query=PageArgsSchema,
        response=DeliveryPageSchema,
        errors=(403, 422),
    ),
    Operation(
        "POST",
        "/v1/admin/email-dead-letters/replay",
        "Send dead emails again with a fresh set of retries (all, or the ids given)",
        replay_email_dead_letters,
        tag=OPERATORS,
        body=ReplayArgsSchema,
        response=ReplayResultSchema,
        errors=(403, 422),
    ),
]
