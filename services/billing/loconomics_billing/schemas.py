"""The shape of every billing RPC argument, result and event (and the gateway's OpenAPI).

Inputs reject unknown fields. Events billing consumes ignore unknown fields, so the producer
can add to them freely. Money in results is `{"amount_cents", "currency"}`; in events it is the
same nested shape where it is a price (`price`), flat `amount_cents` + `currency` where it is
an amount moved, as in phase one's contracts that governance already reads.
"""

from __future__ import annotations

import ipaddress

from loconomics_plumbing.member_data import MemberDataPartSchema, section
from loconomics_plumbing.validation import Instant, MoneySchema, StrictSchema, instant
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from .domain.acknowledgment import ACCEPTED_VERSIONS
from .domain.booking_payments import PaymentStatus
from .domain.owner_status import OwnerStatus
from .domain.plans import PLAN_IDS

ID = validate.Length(min=1, max=64)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code in capitals, like USD")
PAYMENT_METHOD = validate.Regexp(r"^(pm|card)_\w+$", error="a Stripe payment method id")
OWNER_STATUSES = [status.value for status in OwnerStatus]
PAYMENT_STATUSES = [status.value for status in PaymentStatus]
INTERVALS = ["month", "year"]


def _ip_address(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError as exc:
        raise ValidationError("not an IP address") from exc


def _money(description: str, **kwargs) -> fields.Nested:
    return fields.Nested(MoneySchema, metadata={"description": description}, **kwargs)


def _text(description: str, **kwargs) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


InputSchema = StrictSchema


class ConsumedEventSchema(Schema):
    class Meta:
        unknown = EXCLUDE


# Plans


class PlanSchema(Schema):
    id = fields.String(
        required=True, metadata={"description": "Plan id.", "example": "owner-pro-annual"}
    )
    name = _text("Display name.", required=True)
    description = _text("What the plan gives, in a sentence.", required=True)
    price = _money("Price per interval; zero for Free.", required=True)
    interval = fields.String(
        allow_none=True,
        validate=validate.OneOf(INTERVALS),
        metadata={"description": "Billing interval; null for Free."},
    )
    ownership = fields.Bool(
        required=True, metadata={"description": "Whether the plan makes its member an owner."}
    )
    max_listings = fields.Int(
        allow_none=True, metadata={"description": "Listings allowed; null means unlimited."}
    )
    features = fields.List(
        fields.Str(), required=True, metadata={"description": "Features the plan unlocks."}
    )
    trial_days = fields.Int(
        required=True, metadata={"description": "Free trial on a person's first owner plan."}
    )


class PlanListSchema(Schema):
    items = fields.List(
        fields.Nested(PlanSchema), required=True, metadata={"description": "Every plan."}
    )


class PlanSyncResultSchema(Schema):
    created = fields.List(
        fields.Str(), required=True, metadata={"description": "Stripe ids created."}
    )
    updated = fields.List(
        fields.Str(), required=True, metadata={"description": "Stripe ids changed."}
    )
    unchanged = fields.List(
        fields.Str(), required=True, metadata={"description": "Stripe ids already right."}
    )


# Membership


class PutMembershipArgs(InputSchema):
    plan_id = fields.Str(
        required=True,
        validate=validate.OneOf(PLAN_IDS),
        metadata={"description": "The plan wanted; `free` cancels a paid plan at period end."},
    )
    payment_method_id = fields.Str(
        load_default=None,
        allow_none=True,
        validate=PAYMENT_METHOD,
        metadata={
            "description": "Stripe payment method made by Stripe.js; required to start a paid "
            "plan, and replaces the card for dues (retrying unpaid dues) when given later.",
            "example": "pm_1QabcDEF",
        },
    )


class MembershipArgs(InputSchema):
    user_id = fields.Str(
        load_default=None,
        allow_none=True,
        validate=ID,
        metadata={"description": "Whose membership (administrators); default the caller."},
    )


class AcknowledgmentRefSchema(Schema):
    version = _text("Version of the text signed.", required=True)
    signed_at = instant("When it was signed.", required=True)


class MembershipSchema(Schema):
    user_id = _text("The member's account id.", required=True)
    plan_id = _text(
        "The plan whose features apply now (`free` without a subscription).", required=True
    )
    subscribed_plan_id = _text("The paid plan subscribed to, if any.", allow_none=True)
    owner_status = fields.Str(
        required=True,
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "What the person is to the cooperative now."},
    )
    subscription_status = _text(
        "Stripe's subscription status, as billing reads it.", allow_none=True
    )
    trial_end = instant("End of the free trial, if any.", allow_none=True)
    current_period_end = instant("End of the period paid for.", allow_none=True)
    cancel_at_period_end = fields.Bool(
        required=True, metadata={"description": "The plan ends at the end of this period."}
    )
    suspended = fields.Bool(
        required=True, metadata={"description": "Suspended by an administrator."}
    )
    ownership = fields.Bool(
        required=True, metadata={"description": "The plan in effect carries ownership."}
    )
    features = fields.List(
        fields.Str(), required=True, metadata={"description": "Features unlocked now."}
    )
    max_listings = fields.Int(
        allow_none=True, metadata={"description": "Listings allowed now; null is unlimited."}
    )
    acknowledgment = fields.Nested(
        AcknowledgmentRefSchema,
        allow_none=True,
        metadata={"description": "The signed owner acknowledgment; null until signed."},
    )


class ProrationSchema(Schema):
    credit = _money("Credit for the unused time of the old plan.", required=True)
    charge = _money("Charge for the rest of the period on the new plan.", required=True)
    net = _money("Charge less credit; negative is a credit.", required=True)
    billed_now = fields.Bool(
        required=True,
        metadata={"description": "True when billed at once (interval change), else next invoice."},
    )


class MembershipChangeSchema(Schema):
    membership = fields.Nested(
        MembershipSchema, required=True, metadata={"description": "The membership now."}
    )
    actions = fields.List(
        fields.Str(
            validate=validate.OneOf(
                [
                    "subscribed",
                    "plan_changed",
                    "payment_method_updated",
                    "cancel_at_period_end",
                    "resumed",
                ]
            )
        ),
        required=True,
        metadata={"description": "What the request did; empty when nothing had to change."},
    )
    proration = fields.Nested(
        ProrationSchema,
        allow_none=True,
        metadata={"description": "Estimate of a plan change's cost; Stripe's invoice rules."},
    )


class UserArgs(InputSchema):
    user_id = fields.Str(required=True, validate=ID, metadata={"description": "An account id."})


class EntitlementsSchema(Schema):
    user_id = _text("The account.", required=True)
    owner_status = fields.Str(
        required=True,
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "What the person is to the cooperative now."},
    )
    plan_id = _text("The plan in effect.", required=True)
    ownership = fields.Bool(required=True, metadata={"description": "Carries ownership."})
    features = fields.List(
        fields.Str(), required=True, metadata={"description": "Features unlocked now."}
    )
    max_listings = fields.Int(
        allow_none=True, metadata={"description": "Listings allowed now; null is unlimited."}
    )


class AcknowledgmentTextSchema(Schema):
    version = _text("Version of the text; send it back when signing.", required=True)
    text = _text("The words the member agrees to.", required=True)


class SignAcknowledgmentBody(InputSchema):
    """`POST /v1/me/owner-acknowledgment`: the address is the gateway's to tell, not the body's."""

    version = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(ACCEPTED_VERSIONS)),
        metadata={"description": "The text version shown to the signer; defaults to current."},
    )


class SignAcknowledgmentArgs(SignAcknowledgmentBody):
    ip_address = fields.Str(
        required=True,
        validate=_ip_address,
        metadata={"description": "The signer's address, as the gateway saw it."},
    )


class AcknowledgmentSchema(Schema):
    version = _text("Version of the text signed.", required=True)
    text_sha256 = _text("SHA-256 of the exact words signed.", required=True)
    ip_address = _text("Address the signature came from.", required=True)
    signed_at = instant("When it was signed.", required=True)


class SuspensionBody(InputSchema):
    reason = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Why, for the member and the record."},
    )


class SuspendOwnerArgs(SuspensionBody):
    user_id = fields.Str(required=True, validate=ID, metadata={"description": "The member."})


class OwnerStatusChangeSchema(Schema):
    from_status = fields.Str(
        required=True, data_key="from", metadata={"description": "Status before."}
    )
    to_status = fields.Str(required=True, data_key="to", metadata={"description": "Status after."})
    plan_id = _text("Plan at the time.", required=True)
    reason = _text("What caused the change.", required=True)
    changed_at = instant("When.", required=True)


class OwnerStatusHistorySchema(Schema):
    items = fields.List(
        fields.Nested(OwnerStatusChangeSchema),
        required=True,
        metadata={"description": "Every change, oldest first."},
    )


class PayoutAccountBody(InputSchema):
    stripe_account_id = fields.Str(
        required=True,
        validate=validate.Regexp(r"^acct_\w+$", error="a Connect account id"),
        metadata={"description": "The professional's Stripe Connect account."},
    )


class LinkPayoutAccountArgs(PayoutAccountBody):
    user_id = fields.Str(required=True, validate=ID, metadata={"description": "The professional."})


class PayoutAccountSchema(Schema):
    user_id = _text("The professional.", required=True)
    stripe_account_id = _text("Their Stripe Connect account.", required=True)


# Records


class ListRecordsArgs(InputSchema):
    limit = fields.Int(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "How many records to return (1-100)."},
    )
    cursor = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous page; omit for the first."},
    )


class InvoiceDetailSchema(Schema):
    stripe_invoice_id = _text("Stripe's invoice id.", required=True)
    plan_id = _text("Plan billed.", allow_none=True)
    amount_due = _money("Billed.", required=True)
    amount_paid = _money("Paid so far.", required=True)
    period_start = instant("Start of the period billed.", allow_none=True)
    period_end = instant("End of the period billed.", allow_none=True)
    paid_at = instant("When it was paid.", allow_none=True)


class ReceiptDetailSchema(Schema):
    booking_id = _text("The booking paid for.", required=True)
    price = _money("The booking's price.", required=True)
    amount = _money("Money moved by this receipt.", required=True)
    processor_fee = _money(
        "Estimated card processor fee (2.9% + 30c, the percentage rounded half up).",
        required=True,
    )
    platform_fee = _money("Always zero: the cooperative takes no commission.", required=True)
    destination_account = _text(
        "The professional's Stripe Connect account, where the money goes.", allow_none=True
    )


class RecordSchema(Schema):
    id = _text("Record id.", required=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["membership_invoice", "booking_payment", "booking_refund"]),
        metadata={"description": "Dues invoice, booking payment, or refund of one."},
    )
    role = fields.Str(
        required=True,
        validate=validate.OneOf(["member", "payer", "payee"]),
        metadata={"description": "The caller's side of it."},
    )
    issued_at = instant("When.", required=True)
    status = _text("Invoice status (open, paid, void...) or paid/refunded.", required=True)
    amount = _money("The amount of the record.", required=True)
    invoice = fields.Nested(
        InvoiceDetailSchema, allow_none=True, metadata={"description": "For dues invoices."}
    )
    receipt = fields.Nested(
        ReceiptDetailSchema, allow_none=True, metadata={"description": "For booking receipts."}
    )


class RecordPageSchema(Schema):
    items = fields.List(
        fields.Nested(RecordSchema), required=True, metadata={"description": "Newest first."}
    )
    next_cursor = _text("Cursor of the next page; null on the last.", allow_none=True)


# Booking payments


class PayForBookingBody(InputSchema):
    payment_method_id = fields.Str(
        required=True,
        validate=PAYMENT_METHOD,
        metadata={
            "description": "Stripe payment method created in the browser by Stripe.js.",
            "example": "pm_1QabcDEF",
        },
    )


class RegisterBookingPaymentArgs(PayForBookingBody):
    booking_id = fields.Str(required=True, validate=ID, metadata={"description": "The booking."})


class BookingArgs(InputSchema):
    booking_id = fields.Str(required=True, validate=ID, metadata={"description": "The booking."})


class ReceiptSchema(Schema):
    id = _text("Receipt id.", required=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["payment", "refund"]),
        metadata={"description": "Money taken, or given back."},
    )
    price = _money("The booking's price.", required=True)
    amount = _money("Money moved by this receipt.", required=True)
    processor_fee = _money("Estimated card processor fee of this payment.", required=True)
    platform_fee = _money("Always zero: no commission.", required=True)
    destination_account = _text("The professional's Connect account.", allow_none=True)
    issued_at = instant("When.", required=True)


class BookingPaymentSchema(Schema):
    booking_id = _text("The booking.", required=True)
    status = fields.Str(
        required=True,
        validate=validate.OneOf(PAYMENT_STATUSES),
        metadata={"description": "Where the payment stands."},
    )
    price = _money("The booking's price.", required=True)
    captured = _money("Kept now, after refunds.", required=True)
    cancellation_fee = _money("The policy's fee, once cancelled.", allow_none=True)
    estimated_processor_fee = _money(
        "Estimated card processor fee on the whole price.", required=True
    )
    platform_fee = _money("Always zero: no commission.", required=True)
    starts_at = instant("The booking's start.", allow_none=True)
    authorise_at = instant("When the card hold is (or was) placed.", allow_none=True)
    payment_method_id = _text("The card used.", allow_none=True)
    destination_account = _text("The professional's Connect account.", allow_none=True)
    failure_reason = _text("Stripe decline code or ours, when failed.", allow_none=True)
    receipts = fields.List(
        fields.Nested(ReceiptSchema),
        required=True,
        metadata={"description": "Money moved for the booking, oldest first."},
    )


# A member's copy of their data (docs/data-export.md)


def _count(description: str, **kwargs) -> fields.Int:
    return fields.Int(metadata={"description": description}, **kwargs)


def _flag(description: str, **kwargs) -> fields.Bool:
    return fields.Bool(metadata={"description": description}, **kwargs)


def _currency(**kwargs) -> fields.String:
    return _text("ISO 4217 currency of the amounts.", **kwargs)


ROLE = validate.OneOf(["payer", "payee"])


class StripeCustomerRecordSchema(Schema):
    stripe_customer_id = _text("Your customer id at Stripe.", required=True)
    created_at = instant("When billing made it.", required=True)


class MembershipRecordSchema(Schema):
    id = _text("The membership.", required=True)
    plan_id = _text("The plan subscribed to (`free` without a subscription).", required=True)
    owner_status = fields.Str(
        required=True,
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "Your owner status as last derived."},
    )
    stripe_subscription_id = _text("The Stripe subscription behind the plan.", allow_none=True)
    subscription_status = _text("Stripe's subscription status, as read.", allow_none=True)
    trial_end = instant("End of the free trial, if any.", allow_none=True)
    trial_used = _flag("The one free trial has been given.", required=True)
    current_period_start = instant("Start of the period paid for.", allow_none=True)
    current_period_end = instant("End of the period paid for.", allow_none=True)
    cancel_at_period_end = _flag("The plan ends at the end of the period.", required=True)
    suspended = _flag("Suspended by an administrator.", required=True)
    suspension_reason = _text("Why, as the administrator wrote it.", allow_none=True)
    created_at = instant("When the membership was first recorded.", required=True)
    updated_at = instant("Its last change.", required=True)


class OwnerStatusChangeRecordSchema(Schema):
    id = _text("The change.", required=True)
    sequence = _count("Its place in your history, from 1.", required=True)
    from_status = _text("Status before.", required=True)
    to_status = _text("Status after.", required=True)
    plan_id = _text("Plan at the time.", required=True)
    reason = _text("What caused the change.", required=True)
    changed_at = instant("When.", required=True)


class OwnerAcknowledgmentRecordSchema(Schema):
    id = _text("The signature.", required=True)
    version = _text("Version of the wording signed.", required=True)
    text = _text("The words signed (null for a version no longer on record).", allow_none=True)
    text_sha256 = _text("SHA-256 of the exact words signed.", required=True)
    ip_address = _text("Internet address the signature came from.", required=True)
    signed_at = instant("When it was signed.", required=True)


class MembershipInvoiceRecordSchema(Schema):
    id = _text("The invoice record.", required=True)
    stripe_invoice_id = _text("Stripe's invoice id.", required=True)
    stripe_subscription_id = _text("The subscription billed.", allow_none=True)
    plan_id = _text("Plan billed.", allow_none=True)
    status = _text("Stripe's invoice status (open, paid, void, uncollectible...).", required=True)
    amount_due_cents = _count("Billed, in cents.", required=True)
    amount_paid_cents = _count("Paid so far, in cents.", required=True)
    currency = _currency(required=True)
    period_start = instant("Start of the period billed.", allow_none=True)
    period_end = instant("End of the period billed.", allow_none=True)
    issued_at = instant("When it was issued.", required=True)
    paid_at = instant("When it was paid.", allow_none=True)
    failed_attempts_reported = _count("Failed payment attempts you were told of.", required=True)
    updated_at = instant("When Stripe last described it to billing.", required=True)


class DuesPaymentRecordSchema(Schema):
    id = _text("The payment.", required=True)
    stripe_invoice_id = _text("The invoice paid.", required=True)
    amount_cents = _count("Paid, in cents.", required=True)
    currency = _currency(required=True)
    paid_at = instant("When.", required=True)
    fiscal_year = _count("Fiscal year it counts for (patronage).", required=True)


class BookingPaymentRecordSchema(Schema):
    id = _text("The payment.", required=True)
    role = fields.Str(
        required=True,
        validate=ROLE,
        metadata={"description": "payer: you were the client; payee: the professional."},
    )
    booking_id = _text("The booking.", required=True)
    client_user_id = _text("The client's account id.", allow_none=True)
    professional_user_id = _text("The professional's account id.", allow_none=True)
    status = fields.Str(
        required=True,
        validate=validate.OneOf(PAYMENT_STATUSES),
        metadata={"description": "Where the payment stands."},
    )
    amount_cents = _count("The booking's price, in cents.", allow_none=True)
    currency = _currency(allow_none=True)
    starts_at = instant("The booking's start.", allow_none=True)
    stripe_customer_id = _text("Your Stripe customer charged (payer only).", allow_none=True)
    payment_method_id = _text("Your card used (payer only).", allow_none=True)
    payment_intent_id = _text("Stripe's PaymentIntent for the card hold.", allow_none=True)
    destination_account = _text("The professional's Connect account.", allow_none=True)
    application_fee_cents = _count("Always zero: no commission.", required=True)
    authorise_at = instant("When the card hold is (or was) placed.", allow_none=True)
    authorisation_attempts = _count("Attempts at the card hold.", required=True)
    captured_cents = _count("Kept now, after refunds, in cents.", required=True)
    fee_cents = _count("The cancellation policy's fee, once cancelled.", allow_none=True)
    failure_reason = _text("Stripe decline code or ours, when failed.", allow_none=True)
    confirmed_at = instant("When billing learnt the booking was confirmed.", allow_none=True)
    cancelled_at = instant("When it was cancelled, declined or expired.", allow_none=True)
    created_at = instant("When billing first heard of the booking.", required=True)
    updated_at = instant("Its last change.", required=True)


class ReceiptRecordSchema(Schema):
    id = _text("The receipt.", required=True)
    role = fields.Str(
        required=True,
        validate=ROLE,
        metadata={"description": "payer: you paid (or got the refund); payee: you were paid."},
    )
    booking_id = _text("The booking paid for.", required=True)
    booking_payment_id = _text("The booking payment it belongs to.", required=True)
    payer_user_id = _text("The client's account id.", allow_none=True)
    payee_user_id = _text("The professional's account id.", allow_none=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["payment", "refund"]),
        metadata={"description": "Money taken, or given back."},
    )
    price_cents = _count("The booking's price, in cents.", required=True)
    amount_cents = _count("Money moved by this receipt, in cents.", required=True)
    processor_fee_cents = _count("Estimated card processor fee, in cents.", required=True)
    platform_fee_cents = _count("Always zero: no commission.", required=True)
    currency = _currency(required=True)
    destination_account = _text("The professional's Connect account.", allow_none=True)
    issued_at = instant("When.", required=True)


class PayoutAccountRecordSchema(Schema):
    id = _text("The link.", required=True)
    stripe_account_id = _text("Your Stripe Connect account.", required=True)
    created_at = instant("When it was linked.", required=True)


class MemberDataSectionsSchema(Schema):
    stripe_customer = section(StripeCustomerRecordSchema)
    membership = section(MembershipRecordSchema)
    owner_status_changes = section(OwnerStatusChangeRecordSchema)
    owner_acknowledgments = section(OwnerAcknowledgmentRecordSchema)
    membership_invoices = section(MembershipInvoiceRecordSchema)
    dues_payments = section(DuesPaymentRecordSchema)
    booking_payments = section(BookingPaymentRecordSchema)
    receipts = section(ReceiptRecordSchema)
    payout_accounts = section(PayoutAccountRecordSchema)


class MemberDataSchema(MemberDataPartSchema):
    """`export_member_data`: billing's part of a member's copy of their data."""

    sections = fields.Nested(
        MemberDataSectionsSchema,
        required=True,
        metadata={"description": "Every section, with `records: []` when there is none."},
    )


# Webhooks


class StripeWebhookArgs(InputSchema):
    body_base64 = fields.Str(
        required=True,
        validate=validate.Length(max=4 * 1024 * 1024),
        metadata={"description": "The raw request body, byte for byte, base64-encoded."},
    )
    signature = fields.Str(
        required=True,
        allow_none=True,
        validate=validate.Length(max=4096),
        metadata={"description": "The Stripe-Signature header."},
    )


class StripeWebhookResultSchema(Schema):
    event_id = _text("Stripe's event id.", required=True)
    event_type = _text("Stripe's event type.", required=True)
    outcome = fields.Str(
        required=True,
        validate=validate.OneOf(["applied", "duplicate", "ignored"]),
        metadata={"description": "applied; duplicate (seen before); ignored (not ours)."},
    )


# Events emitted


class EventSchema(Schema):
    """What the plumbing adds to every event billing emits."""

    event_id = _text("Unique per event; consumers apply each once.")
    occurred_at = instant("When the event was recorded.")


class OwnerStatusChangedEvent(EventSchema):
    user_id = _text("The member.", required=True)
    from_status = fields.Str(
        required=True,
        data_key="from",
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "Status before."},
    )
    to_status = fields.Str(
        required=True,
        data_key="to",
        validate=validate.OneOf(OWNER_STATUSES),
        metadata={"description": "Status after."},
    )
    plan_id = fields.Str(
        required=True, validate=validate.OneOf(PLAN_IDS), metadata={"description": "Plan then."}
    )
    reason = _text("What caused the change.", required=True)
    changed_at = instant("When; consumers keep the latest.", required=True)


class MembershipStartedEvent(EventSchema):
    user_id = _text("The member.", required=True)
    plan_id = fields.Str(
        required=True, validate=validate.OneOf(PLAN_IDS), metadata={"description": "The plan."}
    )
    plan_name = _text("The plan's display name.", required=True)
    price = _money("Price per interval.", required=True)
    interval = fields.Str(
        required=True, validate=validate.OneOf(INTERVALS), metadata={"description": "Interval."}
    )
    current_period_end = instant("When the first dues are due (trial end, if any).", required=True)
    trial_end = instant("End of the free trial; null without one.", allow_none=True)
    first_subscription = fields.Bool(
        required=True, metadata={"description": "The person's first paid plan ever."}
    )


class DuesPaidEvent(EventSchema):
    user_id = _text("The member.", required=True)
    invoice_id = _text("Stripe invoice id; one event per invoice.", required=True)
    amount_cents = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    currency = fields.Str(required=True, validate=CURRENCY)
    paid_at = instant("When Stripe took the payment.", required=True)
    fiscal_year = fields.Int(required=True, strict=True)


class PaymentFailedEvent(EventSchema):
    user_id = _text("The member.", required=True)
    invoice_id = _text("Stripe invoice id.", required=True)
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    attempt_count = fields.Int(required=True, strict=True)
    failed_at = instant("When billing learnt of the failure.", required=True)


class _BookingPartiesEvent(EventSchema):
    booking_id = _text("The booking.", required=True)
    client_user_id = _text("Who pays.", allow_none=True, required=True)
    professional_user_id = _text("Who is paid.", allow_none=True, required=True)


class BookingPaymentAuthorisedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    payment_intent_id = _text("Stripe PaymentIntent.", required=True)
    destination_account = _text("The professional's Connect account.", allow_none=True)
    authorised_at = instant("When the hold was placed.", required=True)


class BookingPaymentCapturedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    processor_fee_cents = fields.Int(required=True, strict=True)
    platform_fee_cents = fields.Int(required=True, strict=True, validate=validate.Equal(0))
    destination_account = _text("The professional's Connect account.", allow_none=True)
    captured_at = instant("When.", required=True)


class BookingPaymentReleasedEvent(_BookingPartiesEvent):
    released_cents = fields.Int(
        required=True, strict=True, metadata={"description": "Hold dropped, never charged."}
    )
    refunded_cents = fields.Int(
        required=True, strict=True, metadata={"description": "Charged, then given back."}
    )
    kept_cents = fields.Int(
        required=True, strict=True, metadata={"description": "What stays charged (the fee)."}
    )
    currency = fields.Str(required=True, validate=CURRENCY)
    reason = _text("cancelled, declined, expired, rescheduled, stripe...", required=True)
    released_at = instant("When.", required=True)


class BookingPaymentFailedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    reason = fields.Str(required=True, metadata={"description": "Stripe decline code or ours."})
    failed_at = instant("When.", required=True)


EMITTED_EVENTS: dict[str, type[Schema]] = {
    "owner_status_changed": OwnerStatusChangedEvent,
    "membership_started": MembershipStartedEvent,
    "dues_paid": DuesPaidEvent,
    "payment_failed": PaymentFailedEvent,
    "booking_payment_authorised": BookingPaymentAuthorisedEvent,
    "booking_payment_captured": BookingPaymentCapturedEvent,
    "booking_payment_released": BookingPaymentReleasedEvent,
    "booking_payment_failed": BookingPaymentFailedEvent,
}


# Events consumed from booking (only the fields billing reads, the rest is ignored)


class ConsumedMoneySchema(ConsumedEventSchema):
    amount_cents = fields.Int(required=True, validate=validate.Range(min=0))
    currency = fields.Str(required=True, validate=CURRENCY)


class BookingEvent(ConsumedEventSchema):
    """The core every booking_* event carries (booking's `BookingEventSchema`)."""

    booking_id = fields.Str(required=True, validate=ID)
    client_id = fields.Str(required=True, metadata={"description": "The client's user id."})
    professional_id = fields.Str(required=True)
    start = Instant(required=True)
    price = fields.Nested(ConsumedMoneySchema, required=True)


class BookingSettledEvent(BookingEvent):
    """booking_cancelled, booking_declined, booking_expired: what is kept and given back."""

    fee_cents = fields.Int(required=True, validate=validate.Range(min=0))
    refund_cents = fields.Int(required=True, validate=validate.Range(min=0))


# Events consumed from profiles


class AccountClosedEvent(ConsumedEventSchema):
    """profiles' `account_closed`: billing reads the account and when it closed, nothing else.

    The event also carries the member's email, name and language for the goodbye email; they
    are excluded here, so billing never holds them.
    """

    account_id = fields.Str(required=True, validate=ID, metadata={"description": "The account."})
    closed_at = instant("When the account was closed.", required=True)


CONSUMED_EVENTS: dict[str, type[Schema]] = {
    "account_closed": AccountClosedEvent,
    "booking_requested": BookingEvent,
    "booking_confirmed": BookingEvent,
    "booking_rescheduled": BookingEvent,
    "booking_performed": BookingEvent,
    "booking_completed": BookingEvent,
    "booking_cancelled": BookingSettledEvent,
    "booking_declined": BookingSettledEvent,
    "booking_expired": BookingSettledEvent,
}
