"""The shape of every billing RPC argument, result and event (and the gateway's OpenAPI).

Inputs reject unknown fields. Events billing consumes ignore unknown fields, so the producer
can add to them freely. Money in results is `{"amount_cents", "currency"}`, in events flat
`amount_cents` + `currency`, as everywhere on the platform.
"""

from __future__ import annotations

import ipaddress

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .domain.acknowledgment import ACCEPTED_VERSIONS
from .domain.booking_payments import PaymentStatus
from .domain.owner_status import OwnerStatus
from .domain.plans import PLAN_IDS

ID = validate.Length(min=1, max=64)
STRIPE_ID = validate.Length(min=1, max=255)
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code in capitals, like USD")
OWNER_STATUSES = [status.value for status in OwnerStatus]
PAYMENT_STATUSES = [status.value for status in PaymentStatus]


def _ip_address(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError as exc:
        raise ValidationError("not an IP address") from exc


class InputSchema(Schema):
    class Meta:
        unknown = RAISE


class ConsumedEventSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class MoneySchema(Schema):
    amount_cents = fields.Int(
        required=True, strict=True, metadata={"description": "Amount in minor units (cents)."}
    )
    currency = fields.Str(
        required=True, validate=CURRENCY, metadata={"description": "ISO 4217 currency code."}
    )


# Plans


class PlanSchema(Schema):
    id = fields.Str(required=True, metadata={"description": "Plan id, e.g. owner-pro-annual."})
    name = fields.Str(required=True)
    description = fields.Str(required=True)
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Per interval."})
    interval = fields.Str(
        allow_none=True,
        validate=validate.OneOf(["month", "year"]),
        metadata={"description": "Billing interval; null for Free."},
    )
    ownership = fields.Bool(
        required=True, metadata={"description": "Whether the plan makes its member an owner."}
    )
    max_listings = fields.Int(
        allow_none=True, metadata={"description": "Listings allowed; null means unlimited."}
    )
    features = fields.List(fields.Str(), required=True, metadata={"description": "Unlocked."})
    trial_days = fields.Int(
        required=True, metadata={"description": "Free trial on a first owner subscription."}
    )


class PlanListSchema(Schema):
    items = fields.List(fields.Nested(PlanSchema), required=True)


class PlanSyncResultSchema(Schema):
    created = fields.List(fields.Str(), required=True, metadata={"description": "Stripe ids."})
    updated = fields.List(fields.Str(), required=True)
    unchanged = fields.List(fields.Str(), required=True)


# Membership


class PutMembershipArgs(InputSchema):
    plan_id = fields.Str(
        required=True, validate=validate.OneOf(PLAN_IDS), metadata={"description": "Wanted plan."}
    )
    payment_method_id = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^(pm|card)_\w+$", error="a Stripe payment method id"),
        metadata={
            "description": "Stripe payment method from Stripe.js; required to start a paid "
            "plan, and replaces the card for dues when given later."
        },
    )


class AcknowledgmentRefSchema(Schema):
    version = fields.Str(required=True)
    signed_at = fields.AwareDateTime(required=True)


class MembershipSchema(Schema):
    user_id = fields.Str(required=True)
    plan_id = fields.Str(
        required=True, metadata={"description": "The plan whose features apply now."}
    )
    subscribed_plan_id = fields.Str(
        allow_none=True, metadata={"description": "The paid plan subscribed to, if any."}
    )
    owner_status = fields.Str(required=True, validate=validate.OneOf(OWNER_STATUSES))
    subscription_status = fields.Str(
        allow_none=True, metadata={"description": "Stripe's subscription status."}
    )
    trial_end = fields.AwareDateTime(allow_none=True)
    current_period_end = fields.AwareDateTime(allow_none=True)
    cancel_at_period_end = fields.Bool(required=True)
    suspended = fields.Bool(required=True)
    ownership = fields.Bool(required=True)
    features = fields.List(fields.Str(), required=True)
    max_listings = fields.Int(allow_none=True)
    acknowledgment = fields.Nested(
        AcknowledgmentRefSchema,
        allow_none=True,
        metadata={"description": "The signed owner acknowledgment; null until signed."},
    )


class ProrationSchema(Schema):
    credit = fields.Nested(MoneySchema, required=True, metadata={"description": "Unused time."})
    charge = fields.Nested(MoneySchema, required=True, metadata={"description": "New plan."})
    net = fields.Nested(MoneySchema, required=True)
    billed_now = fields.Bool(
        required=True,
        metadata={"description": "True when billed at once (interval change), else next invoice."},
    )


class MembershipChangeSchema(Schema):
    membership = fields.Nested(MembershipSchema, required=True)
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
    proration = fields.Nested(ProrationSchema, allow_none=True)


class UserArgs(InputSchema):
    user_id = fields.Str(required=True, validate=ID)


class EntitlementsSchema(Schema):
    user_id = fields.Str(required=True)
    owner_status = fields.Str(required=True, validate=validate.OneOf(OWNER_STATUSES))
    plan_id = fields.Str(required=True)
    ownership = fields.Bool(required=True)
    features = fields.List(fields.Str(), required=True)
    max_listings = fields.Int(allow_none=True)


class AcknowledgmentTextSchema(Schema):
    version = fields.Str(required=True)
    text = fields.Str(required=True)


class SignAcknowledgmentArgs(InputSchema):
    ip_address = fields.Str(
        required=True,
        validate=_ip_address,
        metadata={"description": "The signer's address, as the gateway saw it."},
    )
    version = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(ACCEPTED_VERSIONS)),
        metadata={"description": "The text version shown to the signer; defaults to current."},
    )


class AcknowledgmentSchema(Schema):
    version = fields.Str(required=True)
    text_sha256 = fields.Str(required=True)
    ip_address = fields.Str(required=True)
    signed_at = fields.AwareDateTime(required=True)


class SuspendOwnerArgs(InputSchema):
    user_id = fields.Str(required=True, validate=ID)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class OwnerStatusChangeSchema(Schema):
    from_status = fields.Str(required=True, data_key="from")
    to_status = fields.Str(required=True, data_key="to")
    plan_id = fields.Str(required=True)
    reason = fields.Str(required=True)
    changed_at = fields.AwareDateTime(required=True)


class OwnerStatusHistorySchema(Schema):
    items = fields.List(fields.Nested(OwnerStatusChangeSchema), required=True)


# Records


class ListRecordsArgs(InputSchema):
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=512))


class InvoiceDetailSchema(Schema):
    stripe_invoice_id = fields.Str(required=True)
    plan_id = fields.Str(allow_none=True)
    amount_due = fields.Nested(MoneySchema, required=True)
    amount_paid = fields.Nested(MoneySchema, required=True)
    period_start = fields.AwareDateTime(allow_none=True)
    period_end = fields.AwareDateTime(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)


class ReceiptDetailSchema(Schema):
    booking_id = fields.Str(required=True)
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Booking price."})
    amount = fields.Nested(MoneySchema, required=True, metadata={"description": "Moved."})
    processor_fee = fields.Nested(
        MoneySchema,
        required=True,
        metadata={"description": "Estimated card processor fee (2.9% + 30c, half up)."},
    )
    platform_fee = fields.Nested(
        MoneySchema, required=True, metadata={"description": "Always zero: no commission."}
    )
    destination_account = fields.Str(
        allow_none=True, metadata={"description": "The professional's Stripe Connect account."}
    )


class RecordSchema(Schema):
    id = fields.Str(required=True)
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["membership_invoice", "booking_payment", "booking_refund"]),
    )
    role = fields.Str(required=True, validate=validate.OneOf(["member", "payer", "payee"]))
    issued_at = fields.AwareDateTime(required=True)
    status = fields.Str(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    invoice = fields.Nested(InvoiceDetailSchema, allow_none=True)
    receipt = fields.Nested(ReceiptDetailSchema, allow_none=True)


class RecordPageSchema(Schema):
    items = fields.List(fields.Nested(RecordSchema), required=True)
    next_cursor = fields.Str(allow_none=True, required=True)


# Booking payments


class RegisterBookingPaymentArgs(InputSchema):
    booking_id = fields.Str(required=True, validate=ID)
    payment_method_id = fields.Str(
        required=True,
        validate=validate.Regexp(r"^(pm|card)_\w+$", error="a Stripe payment method id"),
        metadata={"description": "Stripe payment method created in the browser by Stripe.js."},
    )


class BookingArgs(InputSchema):
    booking_id = fields.Str(required=True, validate=ID)


class BookingPaymentSchema(Schema):
    booking_id = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(PAYMENT_STATUSES))
    price = fields.Nested(MoneySchema, required=True)
    captured = fields.Nested(MoneySchema, required=True, metadata={"description": "Kept now."})
    cancellation_fee = fields.Nested(MoneySchema, allow_none=True)
    estimated_processor_fee = fields.Nested(MoneySchema, required=True)
    platform_fee = fields.Nested(MoneySchema, required=True)
    starts_at = fields.AwareDateTime(allow_none=True)
    authorise_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the card hold is (or was) placed."}
    )
    payment_method_id = fields.Str(allow_none=True)
    destination_account = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)


class LinkPayoutAccountArgs(InputSchema):
    user_id = fields.Str(required=True, validate=ID)
    stripe_account_id = fields.Str(
        required=True, validate=validate.Regexp(r"^acct_\w+$", error="a Connect account id")
    )


# Webhooks


class StripeWebhookArgs(InputSchema):
    payload = fields.Str(
        required=True, metadata={"description": "The raw request body, byte for byte, as UTF-8."}
    )
    signature = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "The Stripe-Signature header."},
    )


class StripeWebhookResultSchema(Schema):
    event_id = fields.Str(required=True)
    event_type = fields.Str(required=True)
    outcome = fields.Str(
        required=True, validate=validate.OneOf(["applied", "duplicate", "ignored"])
    )


# Events emitted


class OwnerStatusChangedEvent(Schema):
    user_id = fields.Str(required=True)
    from_status = fields.Str(
        required=True, data_key="from", validate=validate.OneOf(OWNER_STATUSES)
    )
    to_status = fields.Str(required=True, data_key="to", validate=validate.OneOf(OWNER_STATUSES))
    plan_id = fields.Str(required=True, validate=validate.OneOf(PLAN_IDS))
    reason = fields.Str(required=True)
    changed_at = fields.AwareDateTime(required=True)


class DuesPaidEvent(Schema):
    user_id = fields.Str(required=True)
    invoice_id = fields.Str(required=True, metadata={"description": "Stripe invoice id."})
    amount_cents = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    currency = fields.Str(required=True, validate=CURRENCY)
    paid_at = fields.AwareDateTime(required=True)
    fiscal_year = fields.Int(required=True, strict=True)


class PaymentFailedEvent(Schema):
    user_id = fields.Str(required=True)
    invoice_id = fields.Str(required=True)
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    attempt_count = fields.Int(required=True, strict=True)
    failed_at = fields.AwareDateTime(required=True)


class _BookingPartiesEvent(Schema):
    booking_id = fields.Str(required=True)
    client_user_id = fields.Str(allow_none=True, required=True)
    professional_user_id = fields.Str(allow_none=True, required=True)


class BookingPaymentAuthorisedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    payment_intent_id = fields.Str(required=True)
    destination_account = fields.Str(allow_none=True, required=True)
    authorised_at = fields.AwareDateTime(required=True)


class BookingPaymentCapturedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    processor_fee_cents = fields.Int(required=True, strict=True)
    platform_fee_cents = fields.Int(required=True, strict=True, validate=validate.Equal(0))
    destination_account = fields.Str(allow_none=True, required=True)
    captured_at = fields.AwareDateTime(required=True)


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
    reason = fields.Str(required=True)
    released_at = fields.AwareDateTime(required=True)


class BookingPaymentFailedEvent(_BookingPartiesEvent):
    amount_cents = fields.Int(required=True, strict=True)
    currency = fields.Str(required=True, validate=CURRENCY)
    reason = fields.Str(required=True, metadata={"description": "Stripe decline code or ours."})
    failed_at = fields.AwareDateTime(required=True)


EMITTED_EVENTS: dict[str, type[Schema]] = {
    "owner_status_changed": OwnerStatusChangedEvent,
    "dues_paid": DuesPaidEvent,
    "payment_failed": PaymentFailedEvent,
    "booking_payment_authorised": BookingPaymentAuthorisedEvent,
    "booking_payment_captured": BookingPaymentCapturedEvent,
    "booking_payment_released": BookingPaymentReleasedEvent,
    "booking_payment_failed": BookingPaymentFailedEvent,
}


# Events consumed (from booking; only the fields billing reads, the rest is ignored)


class BookingEvent(ConsumedEventSchema):
    """The core every booking_* event carries."""

    booking_id = fields.Str(required=True)
    client_id = fields.Str(required=True, metadata={"description": "The client's user id."})
    professional_id = fields.Str(required=True)
    start = fields.AwareDateTime(required=True)
    price = fields.Nested(MoneySchema, required=True)


class BookingSettledEvent(BookingEvent):
    """booking_cancelled, booking_declined, booking_expired: what is kept and given back."""

    fee_cents = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    refund_cents = fields.Int(required=True, strict=True, validate=validate.Range(min=0))


CONSUMED_EVENTS: dict[str, type[Schema]] = {
    "booking_requested": BookingEvent,
    "booking_confirmed": BookingEvent,
    "booking_rescheduled": BookingEvent,
    "booking_performed": BookingEvent,
    "booking_completed": BookingEvent,
    "booking_cancelled": BookingSettledEvent,
    "booking_declined": BookingSettledEvent,
    "booking_expired": BookingSettledEvent,
}
