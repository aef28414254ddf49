"""The billing nameko service: entrypoints only; the rules live in `domain`.

Each RPC method loads its input with the schema named in the README, calls the domain with
the caller, Stripe and `clock.now()`, and dumps the result. Stripe's failures become typed
errors at this edge (`stripe_failures`). The unit of work (`self.db`) commits before the
reply leaves, with the events the change emitted.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta

from loconomics_plumbing import clock
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.errors import BadRequest, Conflict
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from loconomics_plumbing.validation import load
from sqlalchemy.exc import IntegrityError

from .dependencies import StripeAccess
from .domain import (
    account_closures,
    acknowledgment,
    booking_payments,
    member_data,
    membership,
    plans,
    records,
    webhooks,
)
from .models import Base
from .schemas import (
    CONSUMED_EVENTS,
    AcknowledgmentSchema,
    AcknowledgmentTextSchema,
    BookingArgs,
    BookingPaymentSchema,
    EntitlementsSchema,
    LinkPayoutAccountArgs,
    ListRecordsArgs,
    MemberDataSchema,
    MembershipArgs,
    MembershipChangeSchema,
    MembershipSchema,
    OwnerStatusHistorySchema,
    PayoutAccountSchema,
    PlanListSchema,
    PlanSyncResultSchema,
    PutMembershipArgs,
    RecordPageSchema,
    RegisterBookingPaymentArgs,
    SignAcknowledgmentArgs,
    StripeWebhookArgs,
    StripeWebhookResultSchema,
    SuspendOwnerArgs,
    UserArgs,
)
from .stripe_failures import stripe_failures
from .stripe_gateway import StripeUnavailable

log = logging.getLogger(__name__)

AUTHORISATION_TIMER_SECONDS = 60
REFRESH_TIMER_SECONDS = 3600
REFRESH_QUIET_FOR = timedelta(hours=6)
REFRESH_BATCH = 50


class BillingService(Health):
    name = "billing"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    telemetry = Telemetry()
    stripe = StripeAccess()

    # plans and membership

    @rpc
    def list_plans(self) -> dict:
        return PlanListSchema().dump({"items": [plans.describe_plan(p) for p in plans.PLANS]})

    @rpc
    def get_membership(self, **fields) -> dict:
        data = load(MembershipArgs(), fields)
        found = membership.membership_of(self.db.session, self.caller, data["user_id"], clock.now())
        return self._membership(found)

    @rpc
    def put_membership(self, **fields) -> dict:
        data = load(PutMembershipArgs(), fields)
        with stripe_failures():
            change = membership.put_membership(
                self.db.session,
                self.stripe.gateway,
                self.caller,
                data["plan_id"],
                data["payment_method_id"],
                clock.now(),
                self.db.emit,
            )
        return MembershipChangeSchema().dump(membership.describe_change(self.db.session, change))

    @rpc
    def cancel_membership(self) -> dict:
        with stripe_failures():
            cancelled = membership.cancel_membership(
                self.db.session, self.stripe.gateway, self.caller, clock.now(), self.db.emit
            )
        return self._membership(cancelled)

    @rpc
    def resume_membership(self) -> dict:
        with stripe_failures():
            resumed = membership.resume_membership(
                self.db.session, self.stripe.gateway, self.caller, clock.now(), self.db.emit
            )
        return self._membership(resumed)

    @rpc
    def get_owner_acknowledgment_text(self) -> dict:
        version = acknowledgment.CURRENT_VERSION
        return AcknowledgmentTextSchema().dump(
            {"version": version, "text": acknowledgment.acknowledgment_text(version)}
        )

    @rpc
    def sign_owner_acknowledgment(self, **fields) -> dict:
        data = load(SignAcknowledgmentArgs(), fields)
        signature = membership.sign_owner_acknowledgment(
            self.db.session,
            self.caller,
            data["ip_address"],
            clock.now(),
            self.db.emit,
            version=data["version"],
        )
        return AcknowledgmentSchema().dump(signature)

    @rpc
    def get_entitlements(self, **fields) -> dict:
        """For other services: what a person's plan and owner status allow, now."""
        data = load(UserArgs(), fields)
        found = membership.membership_or_free(self.db.session, data["user_id"], clock.now())
        return EntitlementsSchema().dump(membership.describe_membership(self.db.session, found))

    @rpc
    def owner_status_history(self, **fields) -> dict:
        data = load(MembershipArgs(), fields)
        user_id = data["user_id"] or self.caller.require_user()
        changes = membership.status_history_for(self.db.session, self.caller, user_id)
        return OwnerStatusHistorySchema().dump({"items": changes})

    @rpc
    def suspend_owner(self, **fields) -> dict:
        data = load(SuspendOwnerArgs(), fields)
        suspended = membership.suspend_owner(
            self.db.session,
            self.caller,
            data["user_id"],
            data["reason"],
            clock.now(),
            self.db.emit,
        )
        return self._membership(suspended)

    @rpc
    def reinstate_owner(self, **fields) -> dict:
        data = load(UserArgs(), fields)
        reinstated = membership.reinstate_owner(
            self.db.session, self.caller, data["user_id"], clock.now(), self.db.emit
        )
        return self._membership(reinstated)

    # records

    @rpc
    def list_records(self, **fields) -> dict:
        data = load(ListRecordsArgs(), fields)
        page = records.list_records(
            self.db.session, self.caller.require_user(), data["limit"], data["cursor"]
        )
        return RecordPageSchema().dump(page)

    @rpc
    def export_member_data(self) -> dict:
        """The caller's part of their copy of their data, from billing's database alone."""
        part = member_data.export_member_data(self.db.session, self.caller.require_user())
        return MemberDataSchema().dump(part)

    # booking payments

    @rpc
    def register_booking_payment(self, **fields) -> dict:
        data = load(RegisterBookingPaymentArgs(), fields)
        with stripe_failures():
            payment = booking_payments.register_payment_method(
                self.db.session,
                self.stripe.gateway,
                self.caller,
                data["booking_id"],
                data["payment_method_id"],
                clock.now(),
                self.db.emit,
            )
        return self._booking_payment(payment)

    @rpc
    def get_booking_payment(self, **fields) -> dict:
        data = load(BookingArgs(), fields)
        payment = booking_payments.booking_payment_for(
            self.db.session, self.caller, data["booking_id"]
        )
        return self._booking_payment(payment)

    @rpc
    def link_payout_account(self, **fields) -> dict:
        data = load(LinkPayoutAccountArgs(), fields)
        self.caller.require_admin()
        try:
            account = booking_payments.link_payout_account(
                self.db.session, data["user_id"], data["stripe_account_id"], clock.now()
            )
        except IntegrityError:
            self.db.rollback()
            raise Conflict("That Connect account is another professional's.") from None
        return PayoutAccountSchema().dump(account)

    # Stripe

    @rpc
    def handle_stripe_webhook(self, **fields) -> dict:
        data = load(StripeWebhookArgs(), fields)
        try:
            body = base64.b64decode(data["body_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The webhook body did not arrive intact.") from None
        try:
            with stripe_failures():
                outcome = webhooks.handle_stripe_webhook(
                    self.db.session,
                    self.stripe.gateway,
                    body,
                    data["signature"],
                    self.stripe.webhook_secret,
                    clock.now(),
                    self.db.emit,
                    tolerance=self.stripe.webhook_tolerance_seconds,
                )
        except IntegrityError:
            self.db.rollback()
            raise Conflict("Another delivery of this event is being applied.") from None
        return StripeWebhookResultSchema().dump(outcome)

    @rpc
    def sync_plans(self) -> dict:
        """Administrators' way to the plan sync; the operator command does the same alone."""
        self.caller.require_admin()
        with stripe_failures():
            report = plans.sync_plans(self.stripe.gateway)
        return PlanSyncResultSchema().dump(report)

    # booking's events

    @handles("booking", "booking_requested")
    def on_booking_requested(self, payload: dict) -> None:
        self._apply_booking_event("booking_requested", payload)

    @handles("booking", "booking_confirmed")
    def on_booking_confirmed(self, payload: dict) -> None:
        self._apply_booking_event("booking_confirmed", payload)

    @handles("booking", "booking_rescheduled")
    def on_booking_rescheduled(self, payload: dict) -> None:
        self._apply_booking_event("booking_rescheduled", payload)

    @handles("booking", "booking_performed")
    def on_booking_performed(self, payload: dict) -> None:
        self._apply_booking_event("booking_performed", payload)

    @handles("booking", "booking_completed")
    def on_booking_completed(self, payload: dict) -> None:
        self._apply_booking_event("booking_completed", payload)

    @handles("booking", "booking_cancelled")
    def on_booking_cancelled(self, payload: dict) -> None:
        self._apply_booking_event("booking_cancelled", payload)

    @handles("booking", "booking_declined")
    def on_booking_declined(self, payload: dict) -> None:
        self._apply_booking_event("booking_declined", payload)

    @handles("booking", "booking_expired")
    def on_booking_expired(self, payload: dict) -> None:
        self._apply_booking_event("booking_expired", payload)

    # profiles' events

    @handles("profiles", "account_closed")
    def on_account_closed(self, payload: dict) -> None:
        """The subscription ends now and the Stripe customer goes; Stripe down: retried."""
        event = load(CONSUMED_EVENTS["account_closed"](), payload)
        with stripe_failures(requeue_when_unavailable=True):
            account_closures.close_account(
                self.db.session, self.stripe.gateway, event["account_id"], clock.now(), self.db.emit
            )

    # timers

    @every(AUTHORISATION_TIMER_SECONDS)
    def authorise_due_payments(self) -> None:
        """Card holds for bookings that start within six days, one transaction each."""
        now = clock.now()
        due = [p.booking_id for p in booking_payments.due_authorisations(self.db.session, now)]
        self.db.commit()
        for booking_id in due:
            try:
                booking_payments.authorise_due_payment(
                    self.db.session, self.stripe.gateway, booking_id, now, self.db.emit
                )
                self.db.commit()
            except StripeUnavailable:
                self.db.rollback()
                log.warning("Stripe unavailable; due authorisations wait for the next run")
                return
            except Exception:
                self.db.rollback()
                log.exception("authorising the payment of booking %s failed", booking_id)

    @every(REFRESH_TIMER_SECONDS)
    def refresh_quiet_subscriptions(self) -> None:
        """The safety net for webhooks Stripe gave up on: re-read what has been quiet."""
        now = clock.now()
        quiet = membership.subscriptions_to_refresh(
            self.db.session, now, REFRESH_QUIET_FOR, REFRESH_BATCH
        )
        self.db.commit()
        for subscription_id in quiet:
            try:
                membership.refresh_subscription(
                    self.db.session,
                    self.stripe.gateway,
                    subscription_id,
                    now,
                    self.db.emit,
                    "periodic check with Stripe",
                )
                self.db.commit()
            except StripeUnavailable:
                self.db.rollback()
                log.warning("Stripe unavailable; the subscription check waits for the next run")
                return
            except Exception:
                self.db.rollback()
                log.exception("refreshing subscription %s failed", subscription_id)

    # views

    def _membership(self, found) -> dict:
        return MembershipSchema().dump(membership.describe_membership(self.db.session, found))

    def _booking_payment(self, payment) -> dict:
        receipts = booking_payments.receipts_of(self.db.session, payment)
        return BookingPaymentSchema().dump(
            booking_payments.describe_booking_payment(payment, receipts)
        )

    def _apply_booking_event(self, name: str, payload: dict) -> None:
        event = load(CONSUMED_EVENTS[name](), payload)
        with stripe_failures(requeue_when_unavailable=True):
            booking_payments.handle_booking_event(
                self.db.session, self.stripe.gateway, name, event, clock.now(), self.db.emit
            )
