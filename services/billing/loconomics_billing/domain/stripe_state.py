"""Stripe objects read into the few facts billing acts on.

Everything billing applies is a function of these snapshots, re-read from Stripe, never of a
webhook's copy: that is what makes replays and shuffled deliveries converge. The readers accept
both shapes Stripe has used (period dates on the subscription or on its item; an invoice's
subscription at the top or under `parent`; a charge with or without `amount_captured`) and
two quirks of localstripe, named where they are handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

GOOD_STANDING = ("trialing", "active")


def from_timestamp(value: int | str | None) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _id_of(value: str | dict | None) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


@dataclass(frozen=True)
class InvoiceState:
    id: str
    customer_id: str | None
    subscription_id: str | None
    status: str
    amount_due_cents: int
    amount_paid_cents: int
    currency: str
    attempted: bool
    attempt_count: int
    stripe_plan_id: str | None
    period_start: datetime | None
    period_end: datetime | None
    paid_at: datetime | None
    created_at: datetime | None

    @property
    def payment_failed(self) -> bool:
        """An open invoice Stripe has tried to charge: the charge failed, dues are past due."""
        return self.status == "open" and self.attempted and self.amount_due_cents > 0

    @classmethod
    def from_stripe(cls, obj: dict) -> InvoiceState:
        subscription = obj.get("subscription")
        parent = obj.get("parent") or {}
        if subscription is None and parent.get("subscription_details"):
            subscription = parent["subscription_details"].get("subscription")
        transitions = obj.get("status_transitions") or {}
        return cls(
            id=obj["id"],
            customer_id=_id_of(obj.get("customer")),
            subscription_id=_id_of(subscription),
            status=str(obj.get("status") or "draft"),
            amount_due_cents=int(obj.get("amount_due") or 0),
            amount_paid_cents=int(obj.get("amount_paid") or 0),
            currency=str(obj.get("currency") or "usd").upper(),
            attempted=bool(obj.get("attempted")),
            attempt_count=int(obj.get("attempt_count") or 0),
            stripe_plan_id=_invoice_plan(obj),
            period_start=from_timestamp(obj.get("period_start")),
            period_end=from_timestamp(obj.get("period_end")),
            paid_at=from_timestamp(transitions.get("paid_at")),
            created_at=from_timestamp(obj.get("created")),
        )


def _invoice_plan(obj: dict) -> str | None:
    """The plan billed by the invoice's last non-proration line, when Stripe says which."""
    lines = (obj.get("lines") or {}).get("data") or []
    for line in reversed(lines):
        if line.get("proration"):
            continue
        plan = _id_of(line.get("plan"))
        if plan:
            return plan
        price = ((line.get("pricing") or {}).get("price_details") or {}).get("price")
        if price:
            return _id_of(price)
    return None


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    customer_id: str
    user_id: str | None
    status: str
    stripe_status: str
    stripe_plan_id: str | None
    item_id: str | None
    trial_end: datetime | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    latest_invoice: InvoiceState | None

    @classmethod
    def from_stripe(cls, obj: dict, now: datetime) -> SubscriptionState:
        items = (obj.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        plan = item.get("plan") or obj.get("plan") or item.get("price")
        latest = obj.get("latest_invoice")
        latest_invoice = InvoiceState.from_stripe(latest) if isinstance(latest, dict) else None
        trial_end = from_timestamp(obj.get("trial_end"))
        stripe_status = str(obj.get("status"))
        return cls(
            id=obj["id"],
            customer_id=str(_id_of(obj.get("customer"))),
            user_id=(obj.get("metadata") or {}).get("user_id"),
            status=effective_status(stripe_status, trial_end, latest, latest_invoice, now),
            stripe_status=stripe_status,
            stripe_plan_id=_id_of(plan),
            item_id=item.get("id"),
            trial_end=trial_end,
            current_period_start=from_timestamp(
                obj.get("current_period_start", item.get("current_period_start"))
            ),
            current_period_end=from_timestamp(
                obj.get("current_period_end", item.get("current_period_end"))
            ),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
            latest_invoice=latest_invoice,
        )


def effective_status(
    stripe_status: str,
    trial_end: datetime | None,
    latest_invoice_ref: str | dict | None,
    latest_invoice: InvoiceState | None,
    now: datetime,
) -> str:
    """Stripe's subscription status, corrected for what it leaves implicit.

    - A subscription in a running trial that has never been invoiced is trialing. Stripe says
      so itself; localstripe leaves such a subscription `incomplete` forever.
    - A subscription whose latest invoice is open after a failed charge is past due. Stripe
      says so itself after a failed renewal; localstripe leaves it `active`.
    """
    if (
        stripe_status == "incomplete"
        and trial_end is not None
        and trial_end > now
        and latest_invoice_ref is None
    ):
        return "trialing"
    if stripe_status == "active" and latest_invoice is not None and latest_invoice.payment_failed:
        return "past_due"
    return stripe_status


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str
    amount_cents: int
    currency: str
    captured_cents: int
    net_cents: int
    failure_code: str | None
    booking_id: str | None

    @classmethod
    def from_stripe(cls, obj: dict) -> IntentState:
        charge = obj.get("latest_charge")
        captured = net = 0
        if isinstance(charge, dict) and charge.get("captured"):
            amount = int(charge.get("amount") or 0)
            # localstripe has no amount_captured and books the uncaptured rest of a partial
            # capture as a refund; Stripe reports amount_captured. Both give the same net.
            captured = int(charge.get("amount_captured", amount))
            uncaptured = amount - captured
            refunded_after_capture = max(0, int(charge.get("amount_refunded") or 0) - uncaptured)
            net = captured - refunded_after_capture
        error = obj.get("last_payment_error") or {}
        return cls(
            id=obj["id"],
            status=str(obj.get("status")),
            amount_cents=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or "usd").upper(),
            captured_cents=captured,
            net_cents=net,
            failure_code=error.get("decline_code") or error.get("code"),
            booking_id=(obj.get("metadata") or {}).get("booking_id"),
        )
