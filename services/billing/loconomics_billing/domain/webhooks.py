"""Stripe webhooks: verified, applied once per event id, and convergent under any order.

A webhook is only a hint that something changed. The handler verifies the signature (a bad
or stale one raises `StripeSignatureInvalid`, which the gateway answers with 400, having
changed nothing), records the event id (a primary key, so a concurrent duplicate fails), then
re-reads the object the event names from Stripe and applies Stripe's current state. Because
applying is a function of that state alone, the same events delivered twice, late, or
shuffled leave the same rows as one ordered delivery. Any failure propagates, the
transaction rolls back (the event id with it), and the gateway answers non-2xx so Stripe
retries.

Events to subscribe the endpoint to are listed in `HANDLED_EVENT_TYPES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import stripe
from loconomics_plumbing.errors import BadRequest
from sqlalchemy.orm import Session

from ..models import ProcessedStripeEvent
from ..stripe_gateway import StripeGateway
from .booking_payments import reconcile_payment_intent
from .dues import apply_invoice_state
from .events import Emit
from .membership import refresh_subscription
from .stripe_state import InvoiceState

DEFAULT_TOLERANCE_SECONDS = 300

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
    }
)
INVOICE_EVENTS = frozenset(
    {
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.voided",
        "invoice.marked_uncollectible",
    }
)
PAYMENT_INTENT_EVENTS = frozenset(
    {
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.refunded",
    }
)
HANDLED_EVENT_TYPES = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | PAYMENT_INTENT_EVENTS


class StripeSignatureInvalid(BadRequest):
    """The payload was not signed by Stripe with our secret, or the signature is too old.

    A `BadRequest`, so it crosses RPC as a typed error and the gateway answers 400.
    """


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    event_type: str
    outcome: str


def verify_stripe_event(
    payload: str | bytes,
    signature_header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> dict:
    """The event, if Stripe signed exactly these bytes with `secret` within `tolerance` s.

    The SDK checks the timestamp against the real clock, as it must: a replayed signature
    is stale in real time, whatever clock the rest of billing is given.
    """
    if not signature_header:
        raise StripeSignatureInvalid("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise StripeSignatureInvalid(f"bad Stripe signature: {exc.user_message or exc}") from exc
    except ValueError as exc:
        raise StripeSignatureInvalid("the payload is not a Stripe event") from exc
    return event.to_dict()


def claim_event(session: Session, event_id: str, event_type: str, now: datetime) -> bool:
    """Record the event id, or say it was applied already.

    Two deliveries of one event racing in two processes both pass the first check; the
    second one's flush then violates the primary key, its transaction rolls back, the gateway
    answers non-2xx, and Stripe's retry finds the event applied.
    """
    if session.get(ProcessedStripeEvent, event_id) is not None:
        return False
    session.add(
        ProcessedStripeEvent(
            stripe_event_id=event_id, event_type=event_type, outcome="applied", processed_at=now
        )
    )
    session.flush()
    return True


def apply_stripe_event(
    session: Session, gateway: StripeGateway, event: dict, now: datetime, emit: Emit
) -> str:
    """Re-read the object the event names and apply Stripe's current state of it."""
    event_type = str(event.get("type"))
    obj = (event.get("data") or {}).get("object") or {}
    object_id = obj.get("id")
    if event_type not in HANDLED_EVENT_TYPES or not object_id:
        return "ignored"
    reason = f"stripe {event_type}"
    if event_type in SUBSCRIPTION_EVENTS:
        applied = refresh_subscription(session, gateway, object_id, now, emit, reason)
        return "applied" if applied is not None else "ignored"
    if event_type in INVOICE_EVENTS:
        invoice = gateway.retrieve_invoice(object_id)
        if invoice is None:
            return "ignored"
        state = InvoiceState.from_stripe(invoice)
        recorded = apply_invoice_state(session, state, now, emit)
        if state.subscription_id:
            refresh_subscription(session, gateway, state.subscription_id, now, emit, reason)
        return "applied" if recorded is not None else "ignored"
    intent_id = obj.get("payment_intent") if event_type == "charge.refunded" else object_id
    if not intent_id:
        return "ignored"
    payment = reconcile_payment_intent(session, gateway, str(intent_id), now, emit)
    return "applied" if payment is not None else "ignored"


def handle_stripe_webhook(
    session: Session,
    gateway: StripeGateway,
    payload: str | bytes,
    signature_header: str | None,
    secret: str,
    now: datetime,
    emit: Emit,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> WebhookOutcome:
    """`POST /v1/webhooks/stripe`: verify, apply once, report what happened."""
    event = verify_stripe_event(payload, signature_header, secret, tolerance)
    event_id = str(event.get("id"))
    event_type = str(event.get("type"))
    if not claim_event(session, event_id, event_type, now):
        return WebhookOutcome(event_id, event_type, "duplicate")
    outcome = apply_stripe_event(session, gateway, event, now, emit)
    record = session.get(ProcessedStripeEvent, event_id)
    if record is not None:
        record.outcome = outcome
    return WebhookOutcome(event_id, event_type, outcome)
