"""The notifications nameko service: entrypoints only; the rules live in `domain`.

Every consumed event goes through `routing.handle_event`, once per `event_id` (the plumbing's
`@handles`), in the same transaction as the notifications it creates. Emails leave from a
timer that claims due deliveries, commits, sends outside any transaction (a slow SMTP server
must not hold the database's write lock), then records what the server said.
"""

from __future__ import annotations

import logging

from loconomics_plumbing import clock
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.health import Health
from loconomics_plumbing.moderation import ReportQueueArgsSchema
from loconomics_plumbing.telemetry import Telemetry, show_moderation_queue
from loconomics_plumbing.validation import load
from prometheus_client import Counter

from .domain import (
    account_closures,
    blocks,
    conversations,
    deliveries,
    inbox,
    member_data,
    message_reports,
    preferences,
    routing,
)
from .models import Base
from .schemas import (
    AccountIdArgsSchema,
    BlockPageSchema,
    BlockSchema,
    ConversationArgsSchema,
    ConversationDetailSchema,
    ConversationIdArgsSchema,
    ConversationPageSchema,
    ConversationSchema,
    DeliveryPageSchema,
    DismissMessageReportArgsSchema,
    ListNotificationsArgsSchema,
    MarkedCountSchema,
    MemberDataSchema,
    MessageIdArgsSchema,
    MessageReportPageSchema,
    MessageReportSchema,
    MessageSchema,
    ModeratorMessageReportSchema,
    ModeratorMessageSchema,
    NotificationIdArgsSchema,
    NotificationPageSchema,
    NotificationSchema,
    PageArgsSchema,
    PostMessageArgsSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
    ReplayArgsSchema,
    ReplayResultSchema,
    ReportMessageArgsSchema,
    StartConversationArgsSchema,
    StartedConversationSchema,
    UnreadCountSchema,
    WithholdMessageArgsSchema,
)
from .settings import NotificationSettings
from .smtp_sender import SmtpSender

log = logging.getLogger(__name__)

SETTINGS = NotificationSettings.from_env()
SENDER = SmtpSender(SETTINGS.smtp)
ROUNDS_PER_TICK = 10

EMAILS = Counter(
    "loconomics_notifications_email_attempts_total",
    "Email delivery attempts by result: sent, retrying (will be tried again) or dead.",
    ["result"],
)


class NotificationsService(Health):
    name = "notifications"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    telemetry = Telemetry()

    # ---- inbox ---------------------------------------------------------------------------

    @rpc
    def list_notifications(self, **fields) -> dict:
        data = load(ListNotificationsArgsSchema(), fields)
        page = inbox.list_notifications(
            self.db.session, self.caller, default_zone=SETTINGS.default_zone, **data
        )
        return NotificationPageSchema().dump(page)

    @rpc
    def mark_read(self, **fields) -> dict:
        data = load(NotificationIdArgsSchema(), fields)
        item = inbox.mark_read(
            self.db.session,
            self.caller,
            data["notification_id"],
            clock.now(),
            default_zone=SETTINGS.default_zone,
        )
        return NotificationSchema().dump(item)

    @rpc
    def mark_all_read(self) -> dict:
        marked = inbox.mark_all_read(self.db.session, self.caller, clock.now())
        return MarkedCountSchema().dump({"marked": marked})

    @rpc
    def unread_count(self) -> dict:
        count = inbox.unread_count(self.db.session, self.caller)
        return UnreadCountSchema().dump({"unread_count": count})

    @rpc
    def get_preferences(self) -> dict:
        return PreferencesSchema().dump(preferences.get_preferences(self.db.session, self.caller))

    @rpc
    def set_preferences(self, **fields) -> dict:
        changes = load(PreferencesUpdateSchema(), fields)
        chosen = preferences.set_preferences(self.db.session, self.caller, changes, clock.now())
        return PreferencesSchema().dump(chosen)

    # ---- messaging -----------------------------------------------------------------------

    @rpc
    def list_conversations(self, **fields) -> dict:
        data = load(PageArgsSchema(), fields)
        page = conversations.list_conversations(self.db.session, self.caller, **data)
        return ConversationPageSchema().dump(page)

    @rpc
    def start_conversation(self, **fields) -> dict:
        data = load(StartConversationArgsSchema(), fields)
        started = conversations.start_conversation(
            self.db.session, self.caller, now=clock.now(), emit=self.db.emit, **data
        )
        return StartedConversationSchema().dump(started)

    @rpc
    def get_conversation(self, **fields) -> dict:
        data = load(ConversationArgsSchema(), fields)
        detail = conversations.get_conversation(self.db.session, self.caller, **data)
        return ConversationDetailSchema().dump(detail)

    @rpc
    def post_message(self, **fields) -> dict:
        data = load(PostMessageArgsSchema(), fields)
        message = conversations.post_message(
            self.db.session,
            self.caller,
            data["conversation_id"],
            data["body"],
            clock.now(),
            self.db.emit,
        )
        return MessageSchema().dump(message)

    @rpc
    def mark_conversation_read(self, **fields) -> dict:
        data = load(ConversationIdArgsSchema(), fields)
        summary = conversations.mark_conversation_read(
            self.db.session, self.caller, data["conversation_id"]
        )
        return ConversationSchema().dump(summary)

    # ---- blocks --------------------------------------------------------------------------

    @rpc
    def block_member(self, **fields) -> dict:
        data = load(AccountIdArgsSchema(), fields)
        block = blocks.block_member(
            self.db.session, self.caller, data["account_id"], clock.now(), self.db.emit
        )
        return BlockSchema().dump(block)

    @rpc
    def unblock_member(self, **fields) -> None:
        data = load(AccountIdArgsSchema(), fields)
        blocks.unblock_member(
            self.db.session, self.caller, data["account_id"], clock.now(), self.db.emit
        )

    @rpc
    def list_blocks(self, **fields) -> dict:
        data = load(PageArgsSchema(), fields)
        return BlockPageSchema().dump(blocks.list_blocks(self.db.session, self.caller, **data))

    # ---- reports of messages and the moderators (docs/reports-and-blocks.md) ---------------

    @rpc
    def report_message(self, **fields) -> dict:
        data = load(ReportMessageArgsSchema(), fields)
        report = message_reports.report_message(
            self.db.session, self.caller, now=clock.now(), **data
        )
        return MessageReportSchema().dump(report)

    @rpc
    def list_message_reports(self, **fields) -> dict:
        data = load(ReportQueueArgsSchema(), fields)
        page = message_reports.list_message_reports(self.db.session, self.caller, **data)
        return MessageReportPageSchema().dump(page)

    @rpc
    def withhold_message(self, **fields) -> dict:
        data = load(WithholdMessageArgsSchema(), fields)
        message = message_reports.withhold_message(
            self.db.session, self.caller, now=clock.now(), **data
        )
        return ModeratorMessageSchema().dump(message)

    @rpc
    def restore_message(self, **fields) -> dict:
        data = load(MessageIdArgsSchema(), fields)
        message = message_reports.restore_message(self.db.session, self.caller, data["message_id"])
        return ModeratorMessageSchema().dump(message)

    @rpc
    def dismiss_message_report(self, **fields) -> dict:
        data = load(DismissMessageReportArgsSchema(), fields)
        report = message_reports.dismiss_message_report(
            self.db.session, self.caller, data["report_id"], data["note"], clock.now()
        )
        return ModeratorMessageReportSchema().dump(report)

    # ---- a member's copy of their data -----------------------------------------------------

    @rpc
    def export_member_data(self) -> dict:
        part = member_data.export_member_data(
            self.db.session, self.caller, default_zone=SETTINGS.default_zone
        )
        return MemberDataSchema().dump(part)

    # ---- operators -----------------------------------------------------------------------

    @rpc
    def list_dead_deliveries(self, **fields) -> dict:
        data = load(PageArgsSchema(), fields)
        page = deliveries.dead_deliveries(self.db.session, self.caller, **data)
        return DeliveryPageSchema().dump(page)

    @rpc
    def replay_dead_deliveries(self, **fields) -> dict:
        data = load(ReplayArgsSchema(), fields)
        replayed = deliveries.replay_dead(
            self.db.session, self.caller, clock.now(), data["delivery_ids"]
        )
        log.info("operator %s replayed %d dead email(s)", self.caller.user_id, replayed)
        return ReplayResultSchema().dump({"replayed": replayed})

    @every(SETTINGS.moderation_queue_interval)
    def measure_moderation_queue(self) -> None:
        """How many reports of messages wait for a moderator, and for how long (Prometheus)."""
        waiting, oldest = message_reports.open_queue(self.db.session)
        show_moderation_queue(self.name, "message", waiting, oldest, clock.now())

    @every(SETTINGS.closure_sweep_interval)
    def erase_late_notifications(self) -> None:
        """Erase notifications another copy made in the instant of a closure
        (docs/account-closure.md)."""
        erased = account_closures.erase_late_notifications(self.db.session, clock.now())
        if erased:
            log.info("erased %d notification(s) made as their accounts closed", erased)

    # ---- email delivery ------------------------------------------------------------------

    @every(SETTINGS.delivery_interval)
    def deliver_emails(self) -> None:
        batch = SETTINGS.delivery_batch
        for _ in range(ROUNDS_PER_TICK):
            claim = deliveries.claim_due(
                self.db.session,
                clock.now(),
                SETTINGS.mailbox,
                limit=batch,
                policy=SETTINGS.retry,
                default_zone=SETTINGS.default_zone,
            )
            self.db.commit()
            outcomes = []
            if claim.items:
                with SENDER.batch() as send:
                    outcomes = deliveries.send_claimed(claim.items, send)
            run = deliveries.record_outcomes(
                self.db.session, clock.now(), outcomes, policy=SETTINGS.retry, run=claim.run
            )
            self.db.commit()
            for result in ("sent", "retrying", "dead"):
                EMAILS.labels(result).inc(getattr(run, result))
            taken = run.sent + run.retrying + run.dead
            if taken:
                log.info("emails: %d sent, %d to retry, %d dead", run.sent, run.retrying, run.dead)
            if taken < batch or run.retrying:
                return  # all caught up, or the server is struggling: wait for the next tick

    # ---- consumed events: one handler each, applied once per event_id ---------------------

    def _take(self, event_name: str, payload: dict) -> None:
        routing.handle_event(self.db.session, event_name, payload, clock.now())

    @handles("profiles", "account_created")
    def on_account_created(self, payload: dict) -> None:
        self._take("account_created", payload)

    @handles("profiles", "account_changed")
    def on_account_changed(self, payload: dict) -> None:
        self._take("account_changed", payload)

    @handles("profiles", "account_closed")
    def on_account_closed(self, payload: dict) -> None:
        self._take("account_closed", payload)

    @handles("profiles", "listing_published")
    def on_listing_published(self, payload: dict) -> None:
        self._take("listing_published", payload)

    @handles("profiles", "listing_changed")
    def on_listing_changed(self, payload: dict) -> None:
        self._take("listing_changed", payload)

    @handles("profiles", "password_reset_requested")
    def on_password_reset_requested(self, payload: dict) -> None:
        self._take("password_reset_requested", payload)

    @handles("profiles", "password_changed")
    def on_password_changed(self, payload: dict) -> None:
        self._take("password_changed", payload)

    @handles("profiles", "email_confirmation_requested")
    def on_email_confirmation_requested(self, payload: dict) -> None:
        self._take("email_confirmation_requested", payload)

    @handles("profiles", "email_changed")
    def on_email_changed(self, payload: dict) -> None:
        self._take("email_changed", payload)

    @handles("profiles", "data_export_requested")
    def on_data_export_requested(self, payload: dict) -> None:
        self._take("data_export_requested", payload)

    @handles("profiles", "review_removed")
    def on_review_removed(self, payload: dict) -> None:
        self._take("review_removed", payload)

    @handles("profiles", "review_report_resolved")
    def on_review_report_resolved(self, payload: dict) -> None:
        self._take("review_report_resolved", payload)

    @handles("profiles", "account_suspended")
    def on_account_suspended(self, payload: dict) -> None:
        self._take("account_suspended", payload)

    @handles("profiles", "account_reinstated")
    def on_account_reinstated(self, payload: dict) -> None:
        self._take("account_reinstated", payload)

    @handles("profiles", "profile_report_resolved")
    def on_profile_report_resolved(self, payload: dict) -> None:
        self._take("profile_report_resolved", payload)

    @handles("booking", "schedule_changed")
    def on_schedule_changed(self, payload: dict) -> None:
        self._take("schedule_changed", payload)

    @handles("booking", "booking_requested")
    def on_booking_requested(self, payload: dict) -> None:
        self._take("booking_requested", payload)

    @handles("booking", "booking_confirmed")
    def on_booking_confirmed(self, payload: dict) -> None:
        self._take("booking_confirmed", payload)

    @handles("booking", "booking_declined")
    def on_booking_declined(self, payload: dict) -> None:
        self._take("booking_declined", payload)

    @handles("booking", "booking_expired")
    def on_booking_expired(self, payload: dict) -> None:
        self._take("booking_expired", payload)

    @handles("booking", "booking_cancelled")
    def on_booking_cancelled(self, payload: dict) -> None:
        self._take("booking_cancelled", payload)

    @handles("booking", "booking_rescheduled")
    def on_booking_rescheduled(self, payload: dict) -> None:
        self._take("booking_rescheduled", payload)

    @handles("booking", "booking_reschedule_proposed")
    def on_booking_reschedule_proposed(self, payload: dict) -> None:
        self._take("booking_reschedule_proposed", payload)

    @handles("booking", "booking_reschedule_declined")
    def on_booking_reschedule_declined(self, payload: dict) -> None:
        self._take("booking_reschedule_declined", payload)

    @handles("booking", "booking_reschedule_expired")
    def on_booking_reschedule_expired(self, payload: dict) -> None:
        self._take("booking_reschedule_expired", payload)

    @handles("booking", "booking_performed")
    def on_booking_performed(self, payload: dict) -> None:
        self._take("booking_performed", payload)

    @handles("booking", "booking_completed")
    def on_booking_completed(self, payload: dict) -> None:
        self._take("booking_completed", payload)

    @handles("booking", "booking_reminder_due")
    def on_booking_reminder_due(self, payload: dict) -> None:
        self._take("booking_reminder_due", payload)

    @handles("booking", "booking_review_requested")
    def on_booking_review_requested(self, payload: dict) -> None:
        self._take("booking_review_requested", payload)

    @handles("billing", "membership_started")
    def on_membership_started(self, payload: dict) -> None:
        self._take("membership_started", payload)

    @handles("billing", "dues_paid")
    def on_dues_paid(self, payload: dict) -> None:
        self._take("dues_paid", payload)

    @handles("billing", "payment_failed")
    def on_payment_failed(self, payload: dict) -> None:
        self._take("payment_failed", payload)

    @handles("billing", "owner_status_changed")
    def on_owner_status_changed(self, payload: dict) -> None:
        self._take("owner_status_changed", payload)

    @handles("billing", "booking_payment_failed")
    def on_booking_payment_failed(self, payload: dict) -> None:
        self._take("booking_payment_failed", payload)

    @handles("governance", "proposal_opened")
    def on_proposal_opened(self, payload: dict) -> None:
        self._take("proposal_opened", payload)

    @handles("governance", "proposal_closing_soon")
    def on_proposal_closing_soon(self, payload: dict) -> None:
        self._take("proposal_closing_soon", payload)

    @handles("governance", "proposal_closed")
    def on_proposal_closed(self, payload: dict) -> None:
        self._take("proposal_closed", payload)

    @handles("governance", "election_opened")
    def on_election_opened(self, payload: dict) -> None:
        self._take("election_opened", payload)

    @handles("governance", "election_closing_soon")
    def on_election_closing_soon(self, payload: dict) -> None:
        self._take("election_closing_soon", payload)

    @handles("governance", "election_closed")
    def on_election_closed(self, payload: dict) -> None:
        self._take("election_closed", payload)

    @handles("governance", "patronage_allocated")
    def on_patronage_allocated(self, payload: dict) -> None:
        self._take("patronage_allocated", payload)
