"""Membership and payments (billing): plans, membership, owner acknowledgment, records,
booking payments, the Stripe webhook, and the administrators' suspension."""

from __future__ import annotations

import base64

from loconomics_billing.schemas import (
    AcknowledgmentSchema,
    AcknowledgmentTextSchema,
    BookingPaymentSchema,
    ListRecordsArgs,
    MembershipChangeSchema,
    MembershipSchema,
    OwnerStatusHistorySchema,
    PayForBookingBody,
    PayoutAccountBody,
    PayoutAccountSchema,
    PlanListSchema,
    PlanSyncResultSchema,
    PutMembershipArgs,
    RecordPageSchema,
    SignAcknowledgmentBody,
    StripeWebhookResultSchema,
    SuspensionBody,
)

from ..operations import ANONYMOUS, PUBLIC, Call, Operation, read_raw_body

TAG = "Membership and payments"
ADMIN_TAG = "Administration"
STRIPE_TIMEOUT_SECONDS = 20.0
"""Calls that talk to Stripe (several requests in a row) get longer than the default."""
WEBHOOK_BODY_LIMIT = 256 * 1024


def list_plans(call: Call) -> dict:
    return call.rpc("billing", "list_plans")


def get_membership(call: Call) -> dict:
    return call.rpc("billing", "get_membership")


def put_membership(call: Call) -> dict:
    return call.rpc("billing", "put_membership", **call.body)


def cancel_membership(call: Call) -> dict:
    return call.rpc("billing", "cancel_membership")


def resume_membership(call: Call) -> dict:
    return call.rpc("billing", "resume_membership")


def get_owner_status_history(call: Call) -> dict:
    return call.rpc("billing", "owner_status_history")


def get_owner_acknowledgment(call: Call) -> dict:
    return call.rpc("billing", "get_owner_acknowledgment_text")


def sign_owner_acknowledgment(call: Call) -> dict:
    return call.rpc(
        "billing",
        "sign_owner_acknowledgment",
        ip_address=call.client_address,
        **call.body,
    )


def list_invoices(call: Call) -> dict:
    return call.rpc("billing", "list_records", **call.query)


def pay_for_booking(call: Call) -> dict:
    return call.rpc(
        "billing", "register_booking_payment", booking_id=call.params["id"], **call.body
    )


def get_booking_payment(call: Call) -> dict:
    return call.rpc("billing", "get_booking_payment", booking_id=call.params["id"])


def receive_stripe_webhook(call: Call) -> dict:
    """The body goes on byte for byte: Stripe signed exactly these bytes."""
    limit = call.gate.body_limit if call.gate else WEBHOOK_BODY_LIMIT
    raw = read_raw_body(call.request, limit)
    return call.rpc(
        "billing",
        "handle_stripe_webhook",
        body_base64=base64.b64encode(raw).decode("ascii"),
        signature=call.request.get_header("Stripe-Signature"),
    )


def get_member_membership(call: Call) -> dict:
    return call.rpc("billing", "get_membership", user_id=call.params["id"])


def get_member_owner_status_history(call: Call) -> dict:
    return call.rpc("billing", "owner_status_history", user_id=call.params["id"])


def suspend_member(call: Call) -> dict:
    return call.rpc("billing", "suspend_owner", user_id=call.params["id"], **call.body)


def reinstate_member(call: Call) -> dict:
    return call.rpc("billing", "reinstate_owner", user_id=call.params["id"])


def link_payout_account(call: Call) -> dict:
    return call.rpc("billing", "link_payout_account", user_id=call.params["id"], **call.body)


def sync_plans(call: Call) -> dict:
    return call.rpc("billing", "sync_plans")


OPERATIONS = [
    Operation(
        "GET",
        "/v1/plans",
        "The membership plans, with price and what each unlocks",
        list_plans,
        tag=TAG,
        access=PUBLIC,
        response=PlanListSchema,
    ),
    Operation(
        "GET",
        "/v1/me/membership",
        "The caller's plan, owner status, trial and period",
        get_membership,
        tag=TAG,
        response=MembershipSchema,
    ),
    Operation(
        "PUT",
        "/v1/me/membership",
        "Be on this plan: subscribe, change plan, replace the card, resume, or cancel (Free)",
        put_membership,
        tag=TAG,
        body=PutMembershipArgs,
        response=MembershipChangeSchema,
        errors=(404, 409),
        timeout=STRIPE_TIMEOUT_SECONDS,
        description="A first owner plan starts with a 14-day trial. A plan change is prorated "
        "by Stripe (the answer gives an estimate). `free` cancels at the end of the period. "
        "A new `payment_method_id` (from Stripe.js) replaces the card and retries unpaid dues.",
    ),
    Operation(
        "DELETE",
        "/v1/me/membership",
        "Cancel at the end of the period paid for",
        cancel_membership,
        tag=TAG,
        response=MembershipSchema,
        errors=(404,),
        timeout=STRIPE_TIMEOUT_SECONDS,
    ),
    Operation(
        "POST",
        "/v1/me/membership/resume",
        "Withdraw a cancellation before the period ends",
        resume_membership,
        tag=TAG,
        response=MembershipSchema,
        errors=(404, 409),
        timeout=STRIPE_TIMEOUT_SECONDS,
    ),
    Operation(
        "GET",
        "/v1/me/membership/history",
        "Every change of the caller's owner status",
        get_owner_status_history,
        tag=TAG,
        response=OwnerStatusHistorySchema,
    ),
    Operation(
        "GET",
        "/v1/me/owner-acknowledgment",
        "The owner acknowledgment to sign: ownership is personal and not transferable",
        get_owner_acknowledgment,
        tag=TAG,
        access=PUBLIC,
        response=AcknowledgmentTextSchema,
    ),
    Operation(
        "POST",
        "/v1/me/owner-acknowledgment",
        "Sign the owner acknowledgment (time and address are recorded)",
        sign_owner_acknowledgment,
        tag=TAG,
        body=SignAcknowledgmentBody,
        response=AcknowledgmentSchema,
        status=201,
        description="An owner plan in good standing makes an `active` owner only once this is "
        "signed. Signing again returns the first signature.",
    ),
    Operation(
        "GET",
        "/v1/me/invoices",
        "Dues invoices and booking receipts of the caller, newest first",
        list_invoices,
        tag=TAG,
        query=ListRecordsArgs,
        response=RecordPageSchema,
    ),
    Operation(
        "POST",
        "/v1/bookings/{id}/payment",
        "Pay for a booking with a card from Stripe.js (held, then charged when performed)",
        pay_for_booking,
        tag=TAG,
        body=PayForBookingBody,
        response=BookingPaymentSchema,
        status=201,
        errors=(403, 409),
        timeout=STRIPE_TIMEOUT_SECONDS,
        description="The price is authorised once the booking is confirmed (for starts more "
        "than six days away, a day before), captured when it is performed; a cancellation "
        "keeps only the policy's fee. No commission: the platform fee is zero.",
    ),
    Operation(
        "GET",
        "/v1/bookings/{id}/payment",
        "A booking's payment and receipts: price, processor fee, platform fee zero",
        get_booking_payment,
        tag=TAG,
        response=BookingPaymentSchema,
        errors=(404,),
    ),
    Operation(
        "POST",
        "/v1/webhooks/stripe",
        "Stripe's events (signed by Stripe)",
        receive_stripe_webhook,
        tag=TAG,
        access=ANONYMOUS,
        response=StripeWebhookResultSchema,
        errors=(409,),
        timeout=STRIPE_TIMEOUT_SECONDS,
        description="The raw JSON event as Stripe sends it, with its `Stripe-Signature` "
        "header. A bad or stale signature gets 400 and changes nothing; each event id is "
        "applied once; any failure answers non-2xx so Stripe retries.",
    ),
    Operation(
        "GET",
        "/v1/admin/members/{id}/membership",
        "A member's plan and owner status (administrators)",
        get_member_membership,
        tag=ADMIN_TAG,
        response=MembershipSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/admin/members/{id}/owner-status-history",
        "A member's owner status history (administrators)",
        get_member_owner_status_history,
        tag=ADMIN_TAG,
        response=OwnerStatusHistorySchema,
        errors=(403,),
    ),
    Operation(
        "POST",
        "/v1/admin/members/{id}/suspension",
        "Suspend a member's ownership (administrators)",
        suspend_member,
        tag=ADMIN_TAG,
        body=SuspensionBody,
        response=MembershipSchema,
        status=201,
        errors=(403,),
    ),
    Operation(
        "DELETE",
        "/v1/admin/members/{id}/suspension",
        "Lift a suspension (administrators)",
        reinstate_member,
        tag=ADMIN_TAG,
        response=MembershipSchema,
        errors=(403, 404),
    ),
    Operation(
        "PUT",
        "/v1/admin/members/{id}/payout-account",
        "Record a professional's Stripe Connect account (administrators)",
        link_payout_account,
        tag=ADMIN_TAG,
        body=PayoutAccountBody,
        response=PayoutAccountSchema,
        errors=(403, 409),
    ),
    Operation(
        "POST",
        "/v1/admin/billing/plan-sync",
        "Make Stripe hold exactly the plans (administrators; idempotent)",
        sync_plans,
        tag=ADMIN_TAG,
        response=PlanSyncResultSchema,
        errors=(403, 409),
        timeout=STRIPE_TIMEOUT_SECONDS,
    ),
]
